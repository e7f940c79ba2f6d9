import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '@flagship/evaluator';
import { loadPolicies, parsePolicyYaml } from './load-policies.ts';
import { parseDuration, validatePolicy } from './policy-schema.ts';
import { renderQuery } from './policy.ts';

const POLICIES_DIR = fileURLToPath(new URL('../../../../policies/', import.meta.url));

const valid = () => ({
  name: 'p',
  steps: [
    { weight: 10, minDuration: '1m', minSamples: 100 },
    { weight: 100, minDuration: '30s' },
  ],
  analysis: { interval: '10s' },
  traffic: { query: 'sum(increase(req{variant="{{variant}}"}[{{window}}]))' },
  metrics: [{ name: 'errors', kind: 'threshold', query: 'err{variant="{{variant}}"}', max: 0.02 }],
});

function problemsOf(input: unknown): string[] {
  const r = validatePolicy(input);
  return r.ok ? [] : r.problems.map(formatProblem);
}

describe('shipped policies', () => {
  it('standard, cautious and fast load without problems', async () => {
    const { policies, problems } = await loadPolicies(POLICIES_DIR);
    expect(problems).toEqual([]);
    expect([...policies.keys()].sort()).toEqual(['cautious', 'fast', 'standard']);
    const cautious = policies.get('cautious')!;
    expect(cautious.steps.map((s) => s.weight)).toEqual([0.1, 1, 5, 10, 25, 50, 100]);
    expect(cautious.steps.filter((s) => s.approval)).toHaveLength(2);
    expect(policies.get('standard')!.analysis).toEqual({
      interval: 60_000,
      initialDelay: 60_000,
      prometheus: { timeout: 5_000, headers: {} },
    });
  });
});

describe('validatePolicy', () => {
  it('accepts a minimal policy and fills defaults', () => {
    const r = validatePolicy(valid());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.onFailure).toBe('rollback');
    expect(r.value.onError).toBe('pause');
    expect(r.value.srm).toEqual({ threshold: 0.001, action: 'pause' });
    expect(r.value.metrics[0]).toMatchObject({
      noData: 'inconclusive',
      dryRun: false,
      failureLimit: 0,
      consecutiveErrorLimit: 2,
    });
  });

  it('reports bad steps with their paths', () => {
    const p = valid();
    p.steps = [
      { weight: 50, minDuration: '1m', minSamples: 1 },
      { weight: 25, minDuration: 'soon', minSamples: -1 },
      { weight: 80.00001, minDuration: '1m', minSamples: 0 },
    ];
    expect(problemsOf(p)).toEqual([
      'steps[1].minDuration: invalid duration "soon": use e.g. "30s", "5m", "1h30m"',
      'steps[1].minSamples: expected an integer from 0 to 1000000000000, got -1',
      'steps[1].weight: weights must rise step by step: 25 after 50',
      "steps[2].weight: at most 3 decimals (the engine's unit is 0.001%), got 80.00001",
    ]);
  });

  it('requires the last step to reach 100%', () => {
    const p = valid();
    p.steps = [
      { weight: 10, minDuration: '1m', minSamples: 0 },
      { weight: 50, minDuration: '1m', minSamples: 0 },
    ];
    expect(problemsOf(p)).toEqual(['steps[1].weight: the last step must reach 100, got 50']);
  });

  it('reports bad metrics: unknown kind, placeholder, missing {{variant}}, duplicate name, no bound, no-data pass', () => {
    const p = valid() as Record<string, unknown>;
    p.metrics = [
      { name: 'a', kind: 'ratio', query: 'x' },
      { name: 'b', kind: 'threshold', query: 'x{v="{{variant}}",s="{{service}}"}', max: 1 },
      { name: 'c', kind: 'threshold', query: 'x', max: 1 },
      { name: 'c', kind: 'threshold', query: 'x{v="{{variant}}"}' },
      {
        name: 'd',
        kind: 'comparison',
        errorsQuery: 'e{v="{{variant}}"}',
        totalQuery: 't{v="{{variant}}"}',
        alpha: 2,
        noData: 'pass',
      },
    ];
    expect(problemsOf(p)).toEqual([
      'metrics[0].kind: expected "threshold" or "comparison", got "ratio"',
      'metrics[1].query: unknown placeholder {{service}}: use {{flag}}, {{variant}}, {{environment}}, {{window}}',
      'metrics[2].query: must use {{variant}}: it is queried once per arm',
      'metrics[3].name: duplicate metric name "c" (already metrics[2])',
      'metrics[3]: a threshold metric needs "max", "min" or both',
      'metrics[4].noData: expected "inconclusive" or "fail" (no data is never a silent pass), got pass',
      'metrics[4].alpha: expected a probability above 0 and at most 0.5, got 2',
    ]);
  });

  it('rejects unknown fields, wrong actions and a timeout longer than the interval', () => {
    const p = {
      ...valid(),
      onFailure: 'explode',
      colour: 'red',
      analysis: { interval: '5s', prometheus: { timeout: '10s' } },
    };
    expect(problemsOf(p)).toEqual([
      'colour: unknown field',
      'onFailure: expected "rollback" or "pause", got "explode"',
      'analysis.prometheus.timeout: must not be longer than analysis.interval',
    ]);
  });

  it('never throws on hostile input', () => {
    for (const input of [
      null,
      42,
      'x',
      [],
      { steps: 'x', metrics: {} },
      { analysis: { prometheus: { headers: { 'bad name': 1 } } } },
    ]) {
      expect(validatePolicy(input).ok).toBe(false);
    }
  });

  it('refuses YAML alias bombs', () => {
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
      Array.from(
        { length: 10 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill('*' + String.fromCharCode(97 + i))
            .join(',')}]`,
      ).join('\n');
    expect(() => parsePolicyYaml(bomb)).toThrow(/alias/i);
  });
});

describe('templates and durations', () => {
  it('renders placeholders and escapes label values', () => {
    expect(
      renderQuery('x{f="{{flag}}",v="{{ variant }}",e="{{environment}}"}[{{window}}]', {
        flag: 'a"b',
        variant: 'on',
        environment: 'p.prod',
        window: '90s',
      }),
    ).toBe('x{f="a\\"b",v="on",e="p.prod"}[90s]');
  });
  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5 minutes')).toBeUndefined();
  });
});
