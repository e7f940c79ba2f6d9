/**
 * The router of the public listener: sets the request's route (the latency histogram's label),
 * parses what the path carries (the flag key, `?type=`), answers 404 and 405, takes the
 * in-flight slot of the body-less GETs, and delegates. Health probes take no slot and are never
 * shed: an orchestrator that sees a shedding evaluator as dead would restart it exactly when it
 * is busiest.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { FLAG_TYPES, type FlagType } from '../../model/flag.ts';
import type { Admission } from '../admission.ts';
import {
  ROUTE_HEALTH,
  ROUTE_OFREP_BULK,
  ROUTE_OFREP_SINGLE,
  ROUTE_OTHER,
  ROUTE_READY,
  ROUTE_SNAPSHOT,
  ROUTE_STREAM,
} from '../observability/evaluator-metrics.ts';
import type { StreamFormat } from '../stream/sse-hub.ts';
import type { EvaluatorRequest } from './evaluator-request.ts';
import type { Replies } from './reply.ts';

const OFREP_BULK = '/ofrep/v1/evaluate/flags';
const OFREP_SINGLE = '/ofrep/v1/evaluate/flags/';

/** Where the router sends each route. `query` is the query string without `?` ('' for none). */
export interface RouteHandlers {
  /** POST OFREP evaluation (single or bulk, by `req.route`); the body is not read yet. */
  ofrep(req: EvaluatorRequest): void;
  /** GET|HEAD /v1/snapshot, admitted. */
  snapshot(req: EvaluatorRequest, query: string): void;
  /** GET|HEAD /v1/stream (`snapshot`) and /ofrep/v1/stream (`ofrep`), admitted. */
  stream(req: EvaluatorRequest, format: StreamFormat, query: string): void;
  /** Bare readiness for /readyz (the detail is on the admin listener). */
  ready(): boolean;
  /** OPTIONS of an OFREP route: the CORS preflight of a browser client (http/cors.ts). */
  preflight(req: EvaluatorRequest): void;
}

export interface RouterOptions {
  handlers: RouteHandlers;
  admission: Pick<Admission, 'admit' | 'reason'>;
  replies: Replies;
}

/** The request listener of the public node:http server. */
export function createRouter(o: RouterOptions): (req: EvaluatorRequest, res: ServerResponse) => void {
  const { handlers, admission, replies } = o;

  function onRequest(req: EvaluatorRequest, res: ServerResponse): void {
    req.started = performance.now();
    req.response = res;
    try {
      const url = req.url ?? '/';
      if (req.method === 'POST' && url.startsWith(OFREP_BULK)) {
        if (url.length === OFREP_BULK.length || url.charCodeAt(OFREP_BULK.length) === 63 /* ? */)
          req.route = ROUTE_OFREP_BULK;
        else if (url.charCodeAt(OFREP_BULK.length) === 47 /* / */) {
          req.route = ROUTE_OFREP_SINGLE;
          parseFlagPath(req, url);
        } else {
          replies.plain(req, 404, 'not found');
          return;
        }
        handlers.ofrep(req);
        return;
      }
      routeOther(req, url);
    } catch (e) {
      replies.failed(req, e);
    }
  }

  /** Takes an in-flight slot for `req`, or answers 429 and returns false. */
  function admitted(req: EvaluatorRequest): boolean {
    if (admission.admit(req)) return true;
    replies.shed(req, admission.reason());
    return false;
  }

  function routeOther(req: EvaluatorRequest, url: string): void {
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const method = req.method;
    if (method === 'OPTIONS' && (path.startsWith(OFREP_BULK) || path === '/ofrep/v1/stream')) {
      req.route = ROUTE_OTHER;
      handlers.preflight(req);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      req.route = ROUTE_OTHER;
      if (
        path.startsWith('/ofrep/') ||
        path === '/v1/snapshot' ||
        path === '/v1/stream' ||
        path === '/healthz' ||
        path === '/readyz'
      ) {
        replies.json(req, 405, { error: `method ${method} not allowed` });
      } else replies.plain(req, 404, 'not found');
      return;
    }
    switch (path) {
      case '/healthz':
        req.route = ROUTE_HEALTH;
        replies.json(req, 200, { status: 'ok' });
        return;
      case '/readyz': {
        req.route = ROUTE_READY;
        const ready = handlers.ready();
        replies.json(req, ready ? 200 : 503, { ready });
        return;
      }
      case '/v1/snapshot':
        req.route = ROUTE_SNAPSHOT;
        if (admitted(req)) handlers.snapshot(req, query);
        return;
      case '/v1/stream':
      case '/ofrep/v1/stream':
        req.route = ROUTE_STREAM;
        if (admitted(req)) handlers.stream(req, path === '/v1/stream' ? 'snapshot' : 'ofrep', query);
        return;
      default:
        req.route = ROUTE_OTHER;
        replies.plain(req, 404, 'not found');
    }
  }

  return onRequest;
}

/** The flag key of a single-flag path (percent-decoded), and the `?type=` extension. */
function parseFlagPath(req: EvaluatorRequest, url: string): void {
  const q = url.indexOf('?', OFREP_SINGLE.length);
  let key = q < 0 ? url.slice(OFREP_SINGLE.length) : url.slice(OFREP_SINGLE.length, q);
  if (key.includes('%')) {
    try {
      key = decodeURIComponent(key);
    } catch {
      /* served as not found under its raw name */
    }
  }
  req.flagKey = key;
  req.flagType = undefined;
  if (q >= 0) {
    // Extension: ?type=<boolean|string|number|object> asks the engine for a type check (TYPE_MISMATCH).
    const type = new URLSearchParams(url.slice(q + 1)).get('type');
    if (type !== null && (FLAG_TYPES as readonly string[]).includes(type)) req.flagType = type as FlagType;
  }
}
