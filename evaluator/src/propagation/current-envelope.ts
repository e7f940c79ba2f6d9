/**
 * An environment's current envelope, as Redis holds it since deltas (docs/architecture.md,
 * "Deltas"): the full envelope `snapshot` at some version, and after it the deltas set, each entry
 * applying onto the version before it. Followers, tests and tools that read Redis directly build
 * the current envelope here, so "what is published" has one definition.
 */
import type { Redis } from 'ioredis';
import { applyDelta } from '../model/snapshot-delta.ts';
import type { EnvelopeDelta, SnapshotEnvelope } from './protocol.ts';
import type { RedisKeys } from './redis-keys.ts';

/** The envelope after `entry`: its snapshot delta applied, and the envelope parts it replaces. */
export function applyEnvelopeDelta(envelope: SnapshotEnvelope, entry: EnvelopeDelta): SnapshotEnvelope {
  const { committedAt: _previous, ...rest } = envelope;
  return {
    ...rest,
    snapshot: applyDelta(envelope.snapshot, entry.delta),
    ...(entry.sdkKeyHashes === undefined ? {} : { sdkKeyHashes: entry.sdkKeyHashes }),
    ...(entry.clients === undefined ? {} : { clients: entry.clients }),
    publishedAt: entry.publishedAt,
    ...(entry.committedAt === undefined ? {} : { committedAt: entry.committedAt }),
  };
}

/**
 * Of `entries` (the deltas set, oldest first), those after `version`, checked to form one chain
 * from it: each applies onto the one before. Undefined when the chain is broken (a gap): the
 * caller loads in full.
 */
export function chainAfter(version: number, entries: readonly EnvelopeDelta[]): EnvelopeDelta[] | undefined {
  const chain: EnvelopeDelta[] = [];
  let at = version;
  for (const e of entries) {
    if (e.delta.version <= at) continue;
    if (e.delta.base !== at) return undefined;
    chain.push(e);
    at = e.delta.version;
  }
  return chain;
}

/** Reads the full envelope and the deltas after it, and applies them; undefined when none is published. */
export async function readCurrentEnvelope(
  redis: Redis,
  keys: RedisKeys,
  environmentId: string,
): Promise<SnapshotEnvelope | undefined> {
  const replies = await redis
    .multi()
    .get(keys.snapshot(environmentId))
    .zrange(keys.deltas(environmentId), 0, -1)
    .exec();
  const [[e1, raw], [e2, members]] = (replies ?? []) as [[Error | null, string | null], [Error | null, string[]]];
  if (e1) throw e1;
  if (e2) throw e2;
  if (raw === null) return undefined;
  let envelope = JSON.parse(raw) as SnapshotEnvelope;
  const chain = chainAfter(
    envelope.snapshot.version,
    members.map((m) => JSON.parse(m) as EnvelopeDelta),
  );
  if (chain === undefined)
    throw new Error(`the deltas of ${environmentId} after ${envelope.snapshot.version} have a gap`);
  for (const entry of chain) envelope = applyEnvelopeDelta(envelope, entry);
  return envelope;
}
