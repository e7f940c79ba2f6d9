/**
 * The queue-delay rule of admission.ts on the real event loop (no fake timers: the rule reads
 * the loop's own turns): a request read late in a long turn is shed, one read in the next turn
 * after a single long task is admitted, and stopping the monitor turns the rule off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Admission } from './admission.ts';
import { ROUTE_OFREP_BULK, ROUTE_STREAM } from './observability/evaluator-metrics.ts';

/** Keeps the event loop busy for `ms`: one long turn. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}

const nextTurn = () => new Promise((r) => setTimeout(r, 0));

let admission: Admission | undefined;
afterEach(() => admission?.stop());

describe('queue-delay target', () => {
  it('sheds a request read more than the target into a turn, as event-loop lag', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(admission.tryAcquire()).toBe(true);
    admission.release();
    busy(30);
    expect(admission.tryAcquire()).toBe(false);
    expect(admission.reason()).toBe('event_loop_lag');
    expect(admission.current).toBe(0);
  });

  it('admits what queued behind one long task: the next turn starts young', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(100);
    await nextTurn();
    expect(admission.tryAcquire()).toBe(true);
    expect(admission.shedding).toBe(false);
  });

  it('exempts stream opens from the rule (a reconnecting fleet opens them in one long turn)', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(30);
    const stream = { admitted: false, route: ROUTE_STREAM };
    const bulk = { admitted: false, route: ROUTE_OFREP_BULK };
    expect(admission.admit(bulk)).toBe(false);
    expect(admission.admit(stream)).toBe(true);
    expect(stream.admitted).toBe(true);
    admission.releaseOf(stream);
    expect(admission.current).toBe(0);
  });

  it('caps the target at maxEventLoopLagMs, and applies no rule without the monitor', async () => {
    admission = new Admission(1000, 5, 10_000);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(15);
    expect(admission.tryAcquire()).toBe(false);
    admission.stop();
    busy(15);
    expect(admission.tryAcquire()).toBe(true);
  });
});
