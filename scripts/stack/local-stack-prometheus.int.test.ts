/**
 * `npm start`'s Prometheus: with nothing answering at PROMETHEUS_URL, the stack starts a private
 * one that scrapes every evaluator and the workers, and stops it with the stack.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryPrometheus } from '../../testing/prometheus-harness.ts';
import { type LocalStack, startLocalStack } from './local-stack.ts';

describe('the local stack with prometheus: auto', () => {
  let stack: LocalStack | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fs-stack-prom-'));
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a private Prometheus that scrapes each evaluator and the workers, and stops it with the stack', async () => {
    stack = await startLocalStack({
      controllerPort: 0,
      evaluatorPorts: [0, 0],
      dataDir: dir,
      keyPrefix: `fsp${randomBytes(3).toString('hex')}:`,
      // Nothing listens on port 1: the stack must start its own.
      env: { PROMETHEUS_URL: 'http://127.0.0.1:1' },
      prometheus: 'auto',
      supervisor: { echo: false },
    });
    expect(stack.privatePrometheus).toBe(true);
    expect(stack.prometheusUrl).not.toBe('http://127.0.0.1:1');
    expect(stack.scrapeTargets).toHaveLength(3);
    const url = stack.prometheusUrl!;
    let up: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const samples = await queryPrometheus(url, 'up{job="flagship"}');
      up = Object.fromEntries(samples.map((s) => [s.metric.instance!, Number(s.value[1])]));
      if (stack.scrapeTargets.every((t) => up[t] === 1)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(up).toEqual(Object.fromEntries(stack.scrapeTargets.map((t) => [t, 1])));
    await stack.stop();
    stack = undefined;
    await expect(fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 120_000);
});
