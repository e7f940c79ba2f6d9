/**
 * The keys this process verified against the database recently, by token hash: what lets the
 * kill switch authenticate while the database is down (http/authenticate.ts), and nothing else.
 * A key leaves it at once when the database answers 401 for it, and when it is revoked (by key
 * id: the revoking service knows ids, not tokens). Other controller processes learn of a
 * revocation through {@link RevocationNotes} (Redis), checked before a remembered key is used.
 */
import { redisKeys } from '@flagship/evaluator/propagation';
import type { Redis } from 'ioredis';
import type { Actor } from '../http/request-context.ts';

/** 15 minutes: long enough to cover the start of an outage, short enough to bound a stale entry. */
export const REMEMBER_MS = 15 * 60_000;
const REMEMBER_MAX = 10_000;

/** Told by the services after a revocation commits (key revoke, environment delete). */
export interface KeyRevocations {
  revoked(keyIds: readonly string[]): Promise<void>;
}

/**
 * Revocations shared between controller processes: a revoke served by one process must stop a
 * kill that another process would authenticate from memory.
 */
export interface RevocationNotes {
  /** Notes the keys as revoked for at least {@link REMEMBER_MS}. */
  add(keyIds: readonly string[]): Promise<void>;
  /** Throws when the notes cannot be read: the caller then trusts no remembered key. */
  has(keyId: string): Promise<boolean>;
}

/**
 * One self-expiring Redis string per revoked key id. The note outlives any entry another process
 * can hold for that key (it was remembered at the latest when the key was revoked, and is
 * forgotten REMEMBER_MS later), with a minute for clock drift between processes.
 */
export class RedisRevocationNotes implements RevocationNotes {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = REMEMBER_MS + 60_000,
  ) {}

  private key(keyId: string): string {
    return redisKeys(this.prefix).revokedKey(keyId);
  }

  async add(keyIds: readonly string[]): Promise<void> {
    if (keyIds.length === 0) return;
    const multi = this.redis.multi();
    for (const id of keyIds) multi.set(this.key(id), '1', 'PX', this.ttlMs);
    const replies = await multi.exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed)
      throw new Error(`could not note revoked keys in Redis: ${String(failed?.[0] ?? 'transaction aborted')}`);
  }

  async has(keyId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(keyId))) === 1;
  }
}

export interface VerifiedKeyCacheOptions {
  notes?: RevocationNotes;
  now?: () => number;
  ttlMs?: number;
  max?: number;
  log?: (message: string, error?: unknown) => void;
}

export class VerifiedKeyCache implements KeyRevocations {
  private readonly entries = new Map<string, { actor: Actor; at: number }>();
  private readonly o: Required<Omit<VerifiedKeyCacheOptions, 'notes'>> & Pick<VerifiedKeyCacheOptions, 'notes'>;

  constructor(options: VerifiedKeyCacheOptions = {}) {
    this.o = { now: Date.now, ttlMs: REMEMBER_MS, max: REMEMBER_MAX, log: () => {}, ...options };
  }

  /** The database just verified this key. */
  remember(tokenHash: string, actor: Actor): void {
    this.entries.delete(tokenHash); // re-inserted last: the map's order is the eviction order
    if (this.entries.size >= this.o.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tokenHash, { actor, at: this.o.now() });
  }

  /** The database answered "unknown or revoked" for this token. */
  forget(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }

  /**
   * Forgets the keys here, then notes them for the other processes. A failed note is logged,
   * not thrown: the revocation is committed; another process may then trust its entry until
   * that expires (docs/security.md).
   */
  async revoked(keyIds: readonly string[]): Promise<void> {
    if (keyIds.length === 0) return;
    const ids = new Set(keyIds);
    for (const [hash, e] of this.entries) if (ids.has(e.actor.keyId)) this.entries.delete(hash);
    if (!this.o.notes) return;
    try {
      await this.o.notes.add([...ids]);
    } catch (error) {
      this.o.log(`revoked key(s) ${[...ids].join(', ')}: could not tell the other controller processes`, error);
    }
  }

  /** The remembered actor for a token while the database is down, if still fresh and unrevoked. */
  async recall(tokenHash: string): Promise<Actor | undefined> {
    const e = this.entries.get(tokenHash);
    if (!e) return undefined;
    if (this.o.now() - e.at > this.o.ttlMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    if (this.o.notes) {
      try {
        if (await this.o.notes.has(e.actor.keyId)) {
          this.entries.delete(tokenHash);
          return undefined;
        }
      } catch {
        return undefined; // cannot tell: trust nothing (the kill goes through Redis anyway)
      }
    }
    return e.actor;
  }
}
