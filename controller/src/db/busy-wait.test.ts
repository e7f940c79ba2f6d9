/** The bounds of the busy wait, on a fake clock (the real lock: busy-database.int.test.ts). */
import { describe, expect, it } from 'vitest';
import { BUSY_WAIT_LIMIT_MS, DatabaseBusyError, isDatabaseBusy, retryWhileBusy } from './busy-wait.ts';

const busy = (code = 'SQLITE_BUSY') => Object.assign(new Error('database is locked'), { code });

function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

describe('retryWhileBusy', () => {
  it('runs the statement again while it is busy and returns its result', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retryWhileBusy(async () => {
      if (++calls < 4) throw busy(calls === 2 ? 'SQLITE_BUSY_SNAPSHOT' : 'SQLITE_BUSY');
      return 'done';
    }, clock);
    expect(result).toBe('done');
    expect(calls).toBe(4);
    // Backoff grows (2, 4, 8 ms before jitter of 0.5x-1.5x).
    expect(clock.sleeps).toHaveLength(3);
    for (const [i, ms] of clock.sleeps.entries()) expect(ms).toBeGreaterThanOrEqual(2 ** (i + 1) / 2);
  });

  it('gives up with DatabaseBusyError once the bound is spent, never sleeping past it', async () => {
    const clock = fakeClock();
    let calls = 0;
    const error = await retryWhileBusy(async () => {
      calls++;
      throw busy();
    }, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseBusyError);
    expect((error as DatabaseBusyError).waitedMs).toBe(BUSY_WAIT_LIMIT_MS);
    expect((error as DatabaseBusyError).cause).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(clock.sleeps.every((ms) => ms <= 150)).toBe(true);
    expect(calls).toBeGreaterThan(40);
    expect(calls).toBeLessThan(1_000);
  });

  it('a shorter bound is honoured', async () => {
    const clock = fakeClock();
    await expect(
      retryWhileBusy(
        async () => {
          throw busy();
        },
        { ...clock, limitMs: 300 },
      ),
    ).rejects.toBeInstanceOf(DatabaseBusyError);
    expect(clock.now()).toBe(300);
  });

  it('does not retry other errors (constraint violations, MySQL lock waits)', async () => {
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'ER_LOCK_WAIT_TIMEOUT', undefined]) {
      let calls = 0;
      const e = Object.assign(new Error('x'), { code });
      await expect(
        retryWhileBusy(async () => {
          calls++;
          throw e;
        }, fakeClock()),
      ).rejects.toBe(e);
      expect(calls).toBe(1);
      expect(isDatabaseBusy(e)).toBe(false);
    }
  });
});
