/**
 * The product's Prometheus rules (docs/slo.md), checked the way an operator's Prometheus would take
 * them: `promtool check rules`, the promtool unit tests in tests/ (Debian's prometheus 2.42), the
 * files loaded by a real Prometheus and read back from its rules API, and a coverage check: every
 * alert carries severity, summary, description and a runbook that exists, and has a unit test
 * that fires it and one (just below its threshold) that does not.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusHarness, startPrometheus } from '../testing/prometheus-harness.ts';
import { flagshipRuleFiles, RULE_TESTS_DIR, RULES_DIR } from './rule-files.ts';

const REPO_ROOT = resolve(RULES_DIR, '../..');
const testFiles = readdirSync(RULE_TESTS_DIR)
  .filter((f) => f.endsWith('.test.yml'))
  .sort();

/** Runs promtool with a 120 s bound; resolves with its exit code and output. */
function promtool(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('promtool', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

interface LoadedRule {
  type: 'alerting' | 'recording';
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const r = await promtool(['check', 'rules', ...flagshipRuleFiles()], REPO_ROOT);
    expect(r.output).not.toContain('FAILED');
    expect(r.code, r.output).toBe(0);
  });

  it.each(testFiles)('pass promtool test rules %s', { timeout: 120_000 }, async (file) => {
    const r = await promtool(['test', 'rules', file], RULE_TESTS_DIR);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('fail promtool test rules when an alert threshold is changed (the unit tests can fail)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rules-mutant-'));
    try {
      const rules = await readFile(join(RULES_DIR, 'flagship-causes.rules.yml'), 'utf8');
      const mutant = rules.replace(
        'max(flagship_outbox_oldest_pending_age_seconds) > 60',
        'max(flagship_outbox_oldest_pending_age_seconds) > 600',
      );
      expect(mutant).not.toBe(rules);
      await Promise.all([
        writeFile(join(dir, 'rules.yml'), mutant),
        copyFile(join(RULE_TESTS_DIR, 'causes.test.yml'), join(dir, 'causes.test.yml')),
      ]);
      const test = (await readFile(join(dir, 'causes.test.yml'), 'utf8')).replace(
        '../rules/flagship-causes.rules.yml',
        'rules.yml',
      );
      await writeFile(join(dir, 'causes.test.yml'), test);
      const r = await promtool(['test', 'rules', 'causes.test.yml'], dir);
      expect(r.code).not.toBe(0);
      expect(r.output).toContain('FlagshipOutboxNotDraining fires');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('loaded into a real Prometheus', () => {
    let prom: PrometheusHarness;
    let alerts: LoadedRule[];
    let recordings: LoadedRule[];
    beforeAll(async () => {
      prom = await startPrometheus({ targets: [], ruleFiles: flagshipRuleFiles() });
      const res = await fetch(`${prom.url}/api/v1/rules`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { data: { groups: { rules: LoadedRule[] }[] } };
      const rules = body.data.groups.flatMap((g) => g.rules);
      alerts = rules.filter((r) => r.type === 'alerting');
      recordings = rules.filter((r) => r.type === 'recording');
    });
    afterAll(() => prom?.stop());

    it('records every SLO over every window the alerts and the status page read', () => {
      const slos = new Set(recordings.filter((r) => r.name === 'slo:objective:ratio').map((r) => r.labels?.slo));
      expect([...slos].sort()).toEqual([
        'admin-api-availability',
        'evaluator-availability',
        'evaluator-latency-bulk',
        'evaluator-latency-single',
        'propagation',
        'rollout-ticks',
      ]);
      for (const slo of slos)
        for (const w of ['5m', '30m', '1h', '6h', '3d', '30d'])
          expect(
            recordings.some((r) => r.name === `slo:error_ratio:rate${w}` && r.labels?.slo === slo),
            `${slo} ${w}`,
          ).toBe(true);
    });

    it('gives every alert a severity, a summary, a description and a runbook that exists', () => {
      expect(alerts.length).toBeGreaterThanOrEqual(21);
      for (const a of alerts) {
        expect(['critical', 'warning', 'info'], a.name).toContain(a.labels?.severity);
        expect(a.annotations?.summary, a.name).toBeTruthy();
        expect(a.annotations?.description, a.name).toBeTruthy();
        expect(a.annotations?.runbook_url, a.name).toBe(`docs/runbooks/${a.name}.md`);
        const runbook = join(REPO_ROOT, `docs/runbooks/${a.name}.md`);
        expect(existsSync(runbook), runbook).toBe(true);
        const text = readFileSync(runbook, 'utf8');
        for (const heading of ['## What it means', '## Confirm', '## Mitigate', '## Escalate'])
          expect(text, `${a.name}: ${heading}`).toContain(heading);
      }
    });

    it('has, for every alert, a unit test that fires it and one that does not', () => {
      const firing = new Set<string>();
      const quiet = new Set<string>();
      for (const f of testFiles) {
        const text = readFileSync(join(RULE_TESTS_DIR, f), 'utf8');
        // The test files' own layout: `alertname: X` then `exp_alerts: []` (quiet) or a list (fires).
        for (const m of text.matchAll(/alertname: (\w+)\n\s+exp_alerts:( \[\])?\n/g))
          (m[2] ? quiet : firing).add(m[1] ?? '');
      }
      for (const a of alerts) {
        expect(firing.has(a.name), `${a.name} has a test that fires it`).toBe(true);
        expect(quiet.has(a.name), `${a.name} has a test that does not fire it`).toBe(true);
      }
    });
  });
});
