import { describe, expect, it } from 'vitest';
import { redisKeys } from './redis-keys.ts';

// Every process of a deployment (and of an upgrade in progress) meets under these names: changing
// one strands what the other processes write (docs/operations.md lists them for operators).
describe('redisKeys', () => {
  it('holds every name under the prefix, each unchanged since it was introduced', () => {
    const k = redisKeys('p:');
    const names = {
      snapshot: k.snapshot('proj.prod'),
      version: k.version('proj.prod'),
      kills: k.kills('proj.prod'),
      environments: k.environments,
      changes: k.changes,
      outboxWake: k.outboxWake,
      webhookOutboxWake: k.webhookOutboxWake,
      publishLock: k.publishLock('proj.prod'),
      pendingKills: k.pendingKills,
      invalidPendingKills: k.invalidPendingKills,
      killReconcileLock: k.killReconcileLock,
      revokedKey: k.revokedKey('42'),
      sweepQueuePrefix: k.sweepQueuePrefix,
      heartbeat: k.heartbeat,
      served: k.served('proj.prod'),
      deltas: k.deltas('proj.prod'),
    };
    expect(names).toEqual({
      snapshot: 'p:snapshot:proj.prod',
      version: 'p:snapshot-version:proj.prod',
      kills: 'p:kills:proj.prod',
      environments: 'p:environments',
      changes: 'p:changes',
      outboxWake: 'p:outbox-wake',
      webhookOutboxWake: 'p:webhook-outbox-wake',
      publishLock: 'p:publish-lock:proj.prod',
      pendingKills: 'p:pending-kills',
      invalidPendingKills: 'p:pending-kills:bad',
      killReconcileLock: 'p:kill-reconcile-lock',
      revokedKey: 'p:revoked-key:42',
      sweepQueuePrefix: 'p:bull',
      heartbeat: 'p:heartbeat',
      served: 'p:served:proj.prod',
      deltas: 'p:deltas:proj.prod',
    });
    // A name added to RedisKeys without an expectation here fails.
    expect(Object.keys(k).sort()).toEqual(Object.keys(names).sort());
  });

  it('defaults to the fs: prefix', () => {
    expect(redisKeys().changes).toBe('fs:changes');
    expect(redisKeys('').environments).toBe('environments');
  });
});
