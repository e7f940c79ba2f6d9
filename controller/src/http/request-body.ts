/**
 * Request bodies are buffered by one raw middleware (which enforces the size limit: 413) and
 * parsed only when a route asks, after authorization, so a caller without access learns nothing
 * from how their body would have been judged.
 */
import type { Request } from 'express';
import { badRequest, UnsupportedFormatError } from '../errors/domain-errors.ts';
import { jsonDepthExceeds } from './json-depth.ts';
import { decodeUtf8, readYamlDocument, type YamlLimits } from './yaml-document.ts';

export const MAX_JSON_DEPTH = 64;

/**
 * YAML bodies (imports): the import route's raw limit (IMPORT_LIMIT in app.ts, 10 MiB) applies
 * to the expanded document too; the node count keeps one body's parse near a second of CPU and a
 * few hundred MB (measured: 10,000 flags are about 250,000 nodes, 1.5 s). JSON has no node limit:
 * JSON.parse is an order of magnitude cheaper than the YAML parser.
 */
export const YAML_BODY_LIMITS: YamlLimits = { maxBytes: 10 * 1024 * 1024, maxDepth: MAX_JSON_DEPTH, maxNodes: 500_000 };

/**
 * The body as text, decoded strictly: JSON and YAML are UTF-8 (RFC 8259), and a replacement
 * character in place of a bad byte would silently change a key or a value that is then stored.
 */
const rawText = (req: Request): string | undefined => {
  const body: unknown = req.body;
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  const text = decodeUtf8(body);
  if (text === undefined) throw badRequest('the body is not valid UTF-8', undefined, 'INVALID_UTF8');
  return text;
};

const mediaType = (req: Request): string => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

const unsupported = (allowed: string) =>
  new UnsupportedFormatError('UNSUPPORTED_MEDIA_TYPE', `the body must be sent as ${allowed}`);

function parseJsonText(text: string): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
    throw badRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels`, undefined, 'TOO_DEEP');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not valid JSON: ${(error as Error).message}`, undefined, 'INVALID_JSON');
  }
}

/** The JSON body; `required` (default true) makes a missing body a 400. */
export function jsonBody(req: Request, required = true): unknown {
  const text = rawText(req);
  if (text === undefined) {
    if (required) throw badRequest('a JSON body is required', undefined, 'MISSING_BODY');
    return undefined;
  }
  if (mediaType(req) !== 'application/json') throw unsupported('application/json');
  return parseJsonText(text);
}

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

/** A JSON or YAML body (flags-as-code). */
export function documentBody(req: Request): unknown {
  const text = rawText(req);
  if (text === undefined) throw badRequest('a JSON or YAML body is required', undefined, 'MISSING_BODY');
  const type = mediaType(req);
  if (type === 'application/json') return parseJsonText(text);
  if (!YAML_TYPES.has(type)) throw unsupported('application/json or application/yaml');
  const read = readYamlDocument(text, YAML_BODY_LIMITS);
  if (read.ok) return read.value;
  // The problem's code is the error code (INVALID_YAML, TOO_DEEP, UNSUPPORTED_TAG, ...).
  const { code, message } = read.problem;
  throw badRequest(`the body is not accepted as YAML: ${message}`, [{ path: 'body', message }], code);
}
