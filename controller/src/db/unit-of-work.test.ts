import { describe, expect, it } from 'vitest';
import { DatabaseBusyError } from './busy-wait.ts';
import { retryTransaction } from './unit-of-work.ts';

/** A transaction that fails with `code` the first `failures` times, then returns 'done'. */
function failing(code: string, failures: number) {
  let calls = 0;
  const fn = async () => {
    calls++;
    if (calls <= failures) throw Object.assign(new Error(code), { code });
    return 'done';
  };
  return { fn, calls: () => calls };
}

describe('retryTransaction (the one retry of the unit of work and the workers)', () => {
  it('runs a MySQL deadlock victim again, up to 5 attempts in all', async () => {
    const ok = failing('ER_LOCK_DEADLOCK', 4);
    await expect(retryTransaction(ok.fn)).resolves.toBe('done');
    expect(ok.calls()).toBe(5);
    const gives = failing('ER_LOCK_WAIT_TIMEOUT', 5);
    await expect(retryTransaction(gives.fn)).rejects.toMatchObject({ code: 'ER_LOCK_WAIT_TIMEOUT' });
    expect(gives.calls()).toBe(5);
  });

  it('waits for a busy SQLite lock until the bound, then DatabaseBusyError', async () => {
    const ok = failing('SQLITE_BUSY', 3);
    await expect(retryTransaction(ok.fn)).resolves.toBe('done');
    expect(ok.calls()).toBe(4);
    const never = failing('SQLITE_BUSY_SNAPSHOT', Number.POSITIVE_INFINITY);
    await expect(retryTransaction(never.fn, { busyWaitLimitMs: 30 })).rejects.toBeInstanceOf(DatabaseBusyError);
  });

  it('rethrows anything else at once', async () => {
    const other = failing('ER_DUP_ENTRY', 1);
    await expect(retryTransaction(other.fn)).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    expect(other.calls()).toBe(1);
  });
});
