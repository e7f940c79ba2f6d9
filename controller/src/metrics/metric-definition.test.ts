import { describe, expect, it } from 'vitest';
import { templateProblems, validateMetricDefinition } from './metric-definition.ts';

const ratio = {
  name: 'Conversion',
  kind: 'ratio',
  better: 'higher',
  numerator: 'sum(increase(conversions_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
  denominator: 'sum(increase(evaluator_exposures_total{flag="{{flag}}",variant="{{variant}}"}[{{window}}]))',
};
const paths = (key: string, input: Record<string, unknown>) => {
  const r = validateMetricDefinition(key, input);
  return r.ok ? [] : r.problems.map((p) => p.path);
};

describe('metric definitions', () => {
  it('accepts a ratio and a quantile, trimming the name', () => {
    const r = validateMetricDefinition('conv', { ...ratio, name: ' Conversion ', flags: ['f'], unit: '%' });
    expect(r).toEqual({ ok: true, value: { key: 'conv', ...ratio, flags: ['f'], unit: '%' } });
    expect(
      validateMetricDefinition('p95', { name: 'p95', kind: 'quantile', better: 'lower', query: 'q{v="{{variant}}"}' })
        .ok,
    ).toBe(true);
  });
  it('reports every problem by path', () => {
    expect(paths('Bad Key', { kind: 'nope', better: 'up' })).toEqual(['key', 'name', 'kind', 'better']);
    expect(paths('m', { ...ratio, numerator: undefined, query: 'x' })).toEqual(['numerator', 'query']);
    expect(paths('m', { ...ratio, kind: 'quantile' })).toEqual(['query', 'numerator', 'denominator']);
    expect(paths('m', { ...ratio, flags: ['f', 'f', '../x'] })).toEqual(['flags[1]', 'flags[2]']);
    expect(paths('m', { ...ratio, unit: 'a\nb', description: 'x'.repeat(2001) })).toEqual(['description', 'unit']);
  });
  it('templates: only the four placeholders, well formed, with {{variant}}, not empty, bounded', () => {
    expect(templateProblems('x{v="{{variant}}"}[{{ window }}]', 't')).toEqual([]);
    expect(templateProblems('   ', 't')[0]!.message).toMatch(/empty/);
    expect(templateProblems(`{{variant}}${'x'.repeat(4000)}`, 't')[0]!.message).toMatch(/4000/);
    expect(templateProblems('{{variant}} {{team}}', 't')[0]!.message).toMatch(/unknown placeholder \{\{team\}\}/);
    expect(templateProblems('{{variant}} {{flag}', 't')[0]!.message).toMatch(/malformed/);
    expect(templateProblems('x{f="{{flag}}"}', 't')[0]!.message).toMatch(/\{\{variant\}\}/);
  });
});
