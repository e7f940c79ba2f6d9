import { describe, expect, it } from 'vitest';
import { redisKeys } from './redis-keys.ts';

// Every process of a deployment (and of an upgrade in progress) meets under these names: changing
// one strands what the other processes write (docs/operations.md lists them for operators).
describe('redisKeys', () => {
  it('holds every name under the prefix, as written since the first release', () => {
    const k = redisKeys('p:');
    expect({
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
    }).toEqual({
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
    });
  });

  it('defaults to the fs: prefix', () => {
    expect(redisKeys().changes).toBe('fs:changes');
    expect(redisKeys('').environments).toBe('environments');
  });
});
