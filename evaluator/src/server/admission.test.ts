/**
 * The queue-delay rule of admission.ts on the real event loop (no fake timers: the rule reads
 * the loop's own turns): a request read late in a long turn that follows another long turn is
 * shed; one long turn alone (a pause, one long task) sheds nothing, nor does what queued behind
 * it; stream opens are exempt; stopping the monitor turns the rules off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Admission, MIN_TURN_ADMITTED } from './admission.ts';
import { ROUTE_OFREP_BULK, ROUTE_STREAM } from './observability/evaluator-metrics.ts';

/** Keeps the event loop busy for `ms`: one long turn. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}

const nextTurn = () => new Promise((r) => setTimeout(r, 0));

/** Admits and answers `n` requests at once: the work of a turn. */
function admitted(a: Admission, n: number): void {
  for (let i = 0; i < n; i++) {
    expect(a.tryAcquire()).toBe(true);
    a.release();
  }
}

/**
 * Waits (at most 50 probes' worth of tries) for a turn begun by an on-time probe: on a loaded
 * machine the OS may delay any probe, which arms the rule without an overrun of ours.
 */
async function calmTurn(a: Admission): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 10));
    if (!a.queueIsStanding) return;
  }
  throw new Error('no on-time probe in 50 tries: the machine is too loaded for this test');
}

let admission: Admission | undefined;
afterEach(() => admission?.stop());

describe('queue-delay target', () => {
  it('sheds a request read more than the target into a turn after a turn that overran, as event-loop lag', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(30);
    await nextTurn();
    expect(admission.queueIsStanding).toBe(true);
    admitted(admission, MIN_TURN_ADMITTED);
    busy(15);
    expect(admission.tryAcquire()).toBe(false);
    expect(admission.reason()).toBe('event_loop_lag');
    expect(admission.current).toBe(0);
  });

  it('sheds nothing read late in a long turn that admitted little: the turn was long, the queue was not ours', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(30);
    await nextTurn();
    expect(admission.queueIsStanding).toBe(true);
    admitted(admission, MIN_TURN_ADMITTED - 2);
    busy(15);
    expect(admission.tryAcquire()).toBe(true);
    admission.release();
  });

  it('sheds nothing in one long turn after short ones (a pause), nor in the turn after it', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await calmTurn(admission);
    busy(30);
    expect(admission.tryAcquire()).toBe(true);
    admission.release();
    // The next turn is armed (its probe was late) but young: what queued behind the pause is admitted.
    await nextTurn();
    expect(admission.tryAcquire()).toBe(true);
  });

  it('exempts stream opens from the rule (a reconnecting fleet opens them in one long turn)', async () => {
    admission = new Admission(1000, 500, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(30);
    await nextTurn();
    admitted(admission, MIN_TURN_ADMITTED);
    busy(15);
    const stream = { admitted: false, route: ROUTE_STREAM };
    const bulk = { admitted: false, route: ROUTE_OFREP_BULK };
    expect(admission.admit(bulk)).toBe(false);
    expect(admission.admit(stream)).toBe(true);
    expect(stream.admitted).toBe(true);
    admission.releaseOf(stream);
    expect(admission.current).toBe(0);
  });

  it('sheds after a probe later than maxEventLoopLagMs, and applies no rule once stopped', async () => {
    admission = new Admission(1000, 50, 10);
    admission.start();
    await new Promise((r) => setTimeout(r, 20));
    busy(80);
    await nextTurn();
    expect(admission.tryAcquire()).toBe(false);
    admission.stop();
    busy(30);
    expect(admission.tryAcquire()).toBe(true);
  });
});
