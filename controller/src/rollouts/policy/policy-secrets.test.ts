/** Secrets in policies: header references only, shown as written, resolved only with a lookup. */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '@flagship/evaluator';
import { maskUrl, maskUrlsIn } from '@flagship/evaluator/mask-url';
import { queryPrometheus } from '../analysis/prometheus-client.ts';
import { policyView, resolveHeaders, type Policy } from './policy.ts';
import { validatePolicy } from './policy-schema.ts';

const base = (prometheus: Record<string, unknown>) => ({
  name: 'p',
  steps: [{ weight: 100, minDuration: '1m' }],
  analysis: { interval: '10s', prometheus },
  traffic: { query: 'req{v="{{variant}}"}' },
  metrics: [{ name: 'err', kind: 'threshold', query: 'err{v="{{variant}}"}', max: 0.02 }],
});
const problems = (input: unknown) => {
  const r = validatePolicy(input);
  return r.ok ? [] : r.problems.map(formatProblem);
};

describe('policy header secrets', () => {
  it('accepts references and plain text on ordinary headers', () => {
    const r = validatePolicy(
      base({
        headers: {
          Authorization: 'Bearer ${env:PROM_TOKEN}',
          'X-Scope-OrgID': 'tenant-1',
          'X-Api-Key': '${env:PROM_KEY}',
        },
      }),
    );
    expect(r.ok).toBe(true);
  });

  it('refuses a literal credential, a malformed reference, and credentials in the address, naming the path', () => {
    expect(problems(base({ headers: { Authorization: 'Bearer abc123' } }))).toEqual([
      expect.stringMatching(
        /^analysis\.prometheus\.headers\.Authorization: a credential header takes its value from the workers' environment/,
      ),
    ]);
    expect(problems(base({ headers: { 'X-Auth-Token': 'abc' } }))[0]).toMatch(
      /^analysis\.prometheus\.headers\.X-Auth-Token: a credential header/,
    );
    expect(problems(base({ headers: { 'X-Tenant': '${PROM_TOKEN}' } }))[0]).toMatch(
      /^analysis\.prometheus\.headers\.X-Tenant: \$\{PROM_TOKEN\} is not a reference/,
    );
    expect(problems(base({ headers: { 'X-Tenant': '${env:bad-name}' } }))[0]).toMatch(/is not a reference/);
    expect(problems(base({ address: 'https://admin:hunter2@prom.internal:9090' }))[0]).toMatch(
      /^analysis\.prometheus\.address: must not contain a user or password/,
    );
  });

  it('API views show references, never values; a legacy literal credential is redacted', () => {
    const r = validatePolicy(
      base({ headers: { Authorization: 'Bearer ${env:PROM_TOKEN}', 'X-Scope-OrgID': 'tenant-1' } }),
    );
    if (!r.ok) throw new Error('invalid');
    expect(policyView(r.value).analysis.prometheus.headers).toEqual({
      Authorization: 'Bearer ${env:PROM_TOKEN}',
      'X-Scope-OrgID': 'tenant-1',
    });
    // A policy stored with a rollout before references existed.
    const legacy = {
      ...r.value,
      analysis: {
        ...r.value.analysis,
        prometheus: {
          ...r.value.analysis.prometheus,
          address: 'http://u:pw@prom:9090',
          headers: { Authorization: 'Bearer s3cr3t' },
        },
      },
    } as Policy;
    const shown = JSON.stringify(policyView(legacy));
    expect(shown).not.toContain('s3cr3t');
    expect(shown).not.toContain('pw@');
    expect(policyView(legacy).analysis.prometheus.headers).toEqual({ Authorization: '[redacted]' });
  });

  it('resolves only through the lookup; an unset variable is a provider error naming it, not the value', async () => {
    expect(
      resolveHeaders({ Authorization: 'Bearer ${env:PROM_TOKEN}' }, (n) => (n === 'PROM_TOKEN' ? 'tok' : undefined)),
    ).toEqual({ ok: true, headers: { Authorization: 'Bearer tok' } });
    expect(resolveHeaders({ Authorization: 'Bearer ${env:PROM_TOKEN}' }, () => undefined)).toEqual({
      ok: false,
      message: 'analysis.prometheus.headers.Authorization: environment variable PROM_TOKEN is not set in the workers',
    });
    const answer = await queryPrometheus(
      { address: 'http://127.0.0.1:9', timeout: 1000, headers: { Authorization: 'Bearer ${env:PROM_TOKEN}' } },
      'up',
    );
    expect(answer.measurement).toEqual({
      kind: 'error',
      message: 'analysis.prometheus.headers.Authorization: environment variable PROM_TOKEN is not set in the workers',
    });
  });
});

describe('maskUrl', () => {
  it('masks passwords in URLs and in free text, keeps everything else', () => {
    expect(maskUrl('mysql://app:hunter2@db.internal:3306/flags')).toBe('mysql://app:***@db.internal:3306/flags');
    expect(maskUrl('redis://:s3cret@127.0.0.1:6379/2')).toBe('redis://:***@127.0.0.1:6379/2');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrl('mysql://root@127.0.0.1:3306/x')).toBe('mysql://root@127.0.0.1:3306/x');
    expect(maskUrlsIn('REDIS_URL must be a redis:// URL, got "http://u:p@ss@host:1"')).toBe(
      'REDIS_URL must be a redis:// URL, got "http://u:***@host:1"',
    );
  });
});
