/**
 * Key authentication of the public listener: the key a request presents (`Authorization:
 * Bearer <key>` or `X-API-Key`), hashed with the product's one hasher and looked up in the hashes
 * the served envelopes list, SDK keys' and client keys' (a client key may only evaluate over
 * OFREP; the handlers that serve more refuse it, authorize-get.ts). Raw keys that resolved are
 * cached until the next swap, so the hot path hashes a key once per snapshot, and a revoked key
 * stops working at the swap that drops it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { hashApiKey } from '../../propagation/index.ts';
import type { KeyGrant } from '../snapshots/redis-snapshot-follower.ts';

/** Where key hashes resolve to environments: the snapshot follower. */
export interface KeyDirectory {
  grantOfKeyHash(hash: string): KeyGrant | undefined;
  /** False until the expected snapshots are loaded: an unknown key then gets 503, not 401. */
  isReady(): boolean;
}

/** What authentication reads from a request and records on it. */
export interface KeyedRequest {
  readonly headers: IncomingHttpHeaders;
  /** The raw key that authenticated it (streams count and revoke by its hash). */
  sdkKey: string;
  /** The key is a client key: OFREP evaluation only. */
  clientKey: boolean;
}

/** Why a request is not authenticated: 401 (no or unknown key), 503 (no snapshot loaded yet). */
export type AuthFailure = 401 | 503;

/** Most raw keys cached at once; past it the cache starts over (a flood of keys cannot grow it). */
const MAX_CACHED_KEYS = 10_000;

/** Authenticates SDK keys against the served envelopes, with the per-swap cache. */
export class SdkKeyAuth {
  /** Raw key -> its grant. */
  private cache = new Map<string, KeyGrant>();

  constructor(private readonly keys: KeyDirectory) {}

  /** Forgets every cached key; called on every swap. */
  clear(): void {
    this.cache = new Map();
  }

  /** The environment of the request's SDK key, or the status to answer. */
  authenticate(req: KeyedRequest): string | AuthFailure {
    const key = presentedKey(req.headers);
    if (key === undefined || key.length === 0) return 401;
    req.sdkKey = key;
    let grant = this.cache.get(key);
    if (grant === undefined) {
      grant = this.keys.grantOfKeyHash(hashApiKey(key));
      if (grant === undefined) return this.keys.isReady() ? 401 : 503;
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache = new Map();
      this.cache.set(key, grant);
    }
    req.clientKey = grant.client;
    return grant.environment;
  }
}

/** The key a request presents: `Authorization: Bearer <key>` (any case), else `X-API-Key`. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    if (auth.length > 7 && (auth.startsWith('Bearer ') || auth.slice(0, 7).toLowerCase() === 'bearer '))
      return auth.slice(7).trim();
    return undefined;
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}
