/**
 * Request bodies are buffered by one raw middleware (which enforces the size limit: 413) and
 * parsed only when a route asks, after authorization, so a caller without access learns nothing
 * from how their body would have been judged.
 */
import type { Request } from 'express';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './api-error.ts';
import { jsonDepthExceeds, valueDepthExceeds } from './json-depth.ts';

export const MAX_JSON_DEPTH = 64;

const rawText = (req: Request): string | undefined => {
  const body: unknown = req.body;
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  return body.toString('utf8');
};

const mediaType = (req: Request): string => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

const unsupported = (allowed: string) => new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `the body must be sent as ${allowed}`);

function parseJsonText(text: string): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw badRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels`, undefined, 'TOO_DEEP');
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
  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); unique keys are enforced.
    value = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    throw badRequest(`the body is not valid YAML: ${(error as Error).message.split('\n')[0]}`, undefined, 'INVALID_YAML');
  }
  if (valueDepthExceeds(value, MAX_JSON_DEPTH)) throw badRequest(`the body nests deeper than ${MAX_JSON_DEPTH} levels`, undefined, 'TOO_DEEP');
  return value;
}
