/**
 * This SDK in bench:peers: a `FlagshipClient` serving the mix from a last-known-good file with
 * `offline: true` (its public offline seam: no evaluator, no socket), called through its
 * synchronous API. Counting exposures stays on, as in production.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvaluationContext, Snapshot, SnapshotFlag } from '@flagship/evaluator';
import { FlagshipClient } from '../../src/index.ts';
import { MIX, RULE_COUNTRIES, RULE_PLANS, SCENARIO_FLAG, SPLIT, type FlagSpec, type SdkAdapter } from './scenario.ts';

type Context = EvaluationContext & { targetingKey: string; plan: string; country: string };

/** The mix as this engine's snapshot flags (docs/api.md): weights in units of 0.001%. */
export function flagshipSnapshot(): Snapshot {
  const flag = (spec: FlagSpec, i: number): SnapshotFlag => {
    const common = { key: spec.key, salt: i.toString(16).padStart(32, '0'), version: 1, enabled: true };
    const none = { prerequisites: [], targets: [] };
    if (spec.kind === 'static')
      return {
        ...common,
        ...none,
        type: 'boolean',
        variants: { on: true, off: false },
        offVariant: 'off',
        rules: [],
        defaultRule: { variant: 'on' },
      };
    if (spec.kind === 'rule')
      return {
        ...common,
        ...none,
        type: 'string',
        variants: { a: 'a', b: 'b' },
        offVariant: 'a',
        rules: [
          {
            conditions: [
              { attribute: 'plan', op: 'in', values: RULE_PLANS },
              { attribute: 'country', op: 'in', values: RULE_COUNTRIES },
            ],
            serve: { variant: 'b' },
          },
        ],
        defaultRule: { variant: 'a' },
      };
    return {
      ...common,
      ...none,
      type: 'string',
      variants: Object.fromEntries(SPLIT.map(([v]) => [v, v])),
      offVariant: 'a',
      rules: [],
      defaultRule: { split: SPLIT.map(([variant, percent]) => ({ variant, weight: percent * 1000 })) },
    };
  };
  return {
    environment: 'bench.peers',
    version: 1,
    flags: Object.fromEntries(MIX.map((spec, i) => [spec.key, flag(spec, i)])),
    segments: {},
  };
}

export function createFlagshipAdapter(): SdkAdapter<Context> {
  const dir = mkdtempSync(join(tmpdir(), 'peers-bench-'));
  const file = join(dir, 'flags.json');
  writeFileSync(file, JSON.stringify({ etag: '"peers"', savedAt: Date.now(), snapshot: flagshipSnapshot() }));
  const client = new FlagshipClient({ evaluators: [], sdkKey: 'bench', lastKnownGoodFile: file, offline: true });
  rmSync(dir, { recursive: true, force: true }); // read synchronously at construction
  if (client.version === undefined) throw new Error('flagship: the last-known-good file was not loaded');
  const { static: staticKey, rule, split } = SCENARIO_FLAG;
  return {
    name: 'flagship',
    async: false,
    setup:
      'FlagshipClient({ offline: true, lastKnownGoodFile }); getBooleanValue / getStringValue; allFlags for bulk100',
    context: (b) => ({ targetingKey: b.key, plan: b.plan, country: b.country }),
    assign: (c, b) => {
      c.targetingKey = b.key;
      c.plan = b.plan;
      c.country = b.country;
    },
    static: (c) => client.getBooleanValue(staticKey, false, c),
    rule: (c) => client.getStringValue(rule, 'x', c),
    split: (c) => client.getStringValue(split, 'x', c),
    bulk100: (c) => client.allFlags(c),
    bulkValues: (c) => Object.fromEntries(client.allFlags(c).map((d) => [d.key, d.value])),
    loops: {
      static: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (client.getBooleanValue(staticKey, false, cs[i])) hits++;
        return hits;
      },
      rule: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (client.getStringValue(rule, 'x', cs[i])) hits++;
        return hits;
      },
      split: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (client.getStringValue(split, 'x', cs[i])) hits++;
        return hits;
      },
      bulk100: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1) if (client.allFlags(cs[i])) hits++;
        return hits;
      },
    },
    close: () => client.close(),
  };
}
