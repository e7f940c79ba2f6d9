import { describe, expect, it } from 'vitest';
import { parseHeartbeat, replicationStatus } from './replication-status.ts';

describe('parseHeartbeat', () => {
  it('reads {"at","region"} and refuses anything else', () => {
    expect(parseHeartbeat('{"at":1700000000000,"region":"home"}')).toEqual({ at: 1_700_000_000_000, region: 'home' });
    for (const bad of [
      null,
      undefined,
      '',
      'nope',
      '[]',
      '{"at":"1","region":"home"}',
      '{"at":5}',
      '{"at":-1,"region":"x"}',
    ])
      expect(parseHeartbeat(bad)).toBeUndefined();
  });
});

describe('replicationStatus', () => {
  const base = { region: 'far', startedAt: 1_000, staleAfterMs: 3000, connected: true };

  it('staleness is now - at; stale only above the threshold', () => {
    expect(replicationStatus({ ...base, heartbeatAt: 10_000, now: 12_000 })).toEqual({
      region: 'far',
      staleness_ms: 2000,
      heartbeat_at: 10_000,
      connected: true,
      stale: false,
    });
    expect(replicationStatus({ ...base, heartbeatAt: 10_000, now: 13_000 }).stale).toBe(false);
    expect(replicationStatus({ ...base, heartbeatAt: 10_000, now: 13_001 }).stale).toBe(true);
  });

  it('a heartbeat from a clock ahead of ours counts as 0, not negative', () => {
    expect(replicationStatus({ ...base, heartbeatAt: 10_500, now: 10_000 }).staleness_ms).toBe(0);
  });

  it('without any heartbeat: unknown staleness, stale once the threshold passed since start', () => {
    const at = (now: number) => replicationStatus({ ...base, heartbeatAt: undefined, now, connected: false });
    expect(at(2_000)).toMatchObject({ staleness_ms: null, heartbeat_at: null, connected: false, stale: false });
    expect(at(4_001).stale).toBe(true);
  });
});
