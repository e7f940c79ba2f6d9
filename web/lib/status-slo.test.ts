import { describe, expect, it } from 'vitest';
import { burnRate, percent, type PromSample, shapeAlerts, shapeSlos } from './status-slo.ts';

const s = (slo: string, v: string): PromSample => ({ metric: { __name__: 'x', slo }, value: [1_700_000_000, v] });

describe('the status page shaping', () => {
  it('computes budget left and burn rates per SLO from the recording rules, in the docs order', () => {
    const slos = shapeSlos(
      [s('propagation', '0.999'), s('evaluator-availability', '0.9999'), s('custom', '0.99')],
      [s('evaluator-availability', '0.00005'), s('propagation', '0.002')],
      {
        '5m': [s('evaluator-availability', '0.00144')],
        '1h': [s('evaluator-availability', '0.0001'), s('propagation', 'NaN')],
        '6h': [],
        '3d': [s('propagation', '0.001')],
      },
    );
    expect(slos.map((x) => x.slo)).toEqual(['evaluator-availability', 'propagation', 'custom']);
    const [avail, prop, custom] = slos;
    expect(avail!.budgetLeft).toBeCloseTo(0.5, 9); // half the 0.01% budget spent
    expect(avail!.burn['5m']).toBeCloseTo(14.4, 9);
    expect(avail!.burn['1h']).toBeCloseTo(1, 9);
    expect(avail!.burn['6h']).toBeNull();
    expect(prop!.budgetLeft).toBeCloseTo(-1, 9); // overspent: twice the budget
    expect(prop!.burn['1h']).toBeNull(); // NaN (no traffic) is no data, never 0
    expect(prop!.burn['3d']).toBeCloseTo(1, 9);
    expect(custom).toMatchObject({ name: 'custom', budgetLeft: null });
  });

  it('lists pending and firing alerts, firing first, then by severity', () => {
    const alerts = shapeAlerts([
      { labels: { alertname: 'B', severity: 'warning' }, annotations: { summary: 'b' }, state: 'firing' },
      { labels: { alertname: 'A', severity: 'critical' }, annotations: {}, state: 'pending' },
      { labels: { alertname: 'C', severity: 'critical', slo: 'x', instance: 'e1' }, annotations: {}, state: 'firing' },
      { labels: { alertname: 'D', severity: 'info' }, annotations: {}, state: 'inactive' },
    ]);
    expect(alerts.map((a) => `${a.name}:${a.state}`)).toEqual(['C:firing', 'B:firing', 'A:pending']);
    expect(alerts[0]!.labels).toEqual({ instance: 'e1' });
  });

  it('formats percentages and burn rates', () => {
    expect(percent(0.9999)).toBe('99.99%');
    expect(percent(-0.125)).toBe('-12.5%');
    expect(burnRate(0.4)).toBe('0.4x');
    expect(burnRate(14.44)).toBe('14x');
  });
});
