/**
 * @openfeature/flagd-core in bench:peers: the evaluation core of flagd's in-process providers,
 * `FlagdCore.setConfigurations` with a flagd flag-definition JSON (no sync source, no network),
 * called through its synchronous `resolve*Evaluation`; `resolveAll` is its all-flags call.
 * Targeting is JSON Logic compiled to a function (its default, faster than the interpreter);
 * the split is `fractional`, which buckets by flag key + targetingKey (murmurhash3).
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { MIX, RULE_COUNTRIES, RULE_PLANS, SCENARIO_FLAG, SPLIT, type FlagSpec, type SdkAdapter } from './scenario.ts';

type Context = { targetingKey: string; plan: string; country: string };

/** The mix as a flagd flag configuration (https://flagd.dev/reference/flag-definitions/). */
export function flagdConfiguration(): string {
  const flag = (spec: FlagSpec) => {
    if (spec.kind === 'static') return { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' };
    if (spec.kind === 'rule')
      return {
        state: 'ENABLED',
        variants: { a: 'a', b: 'b' },
        defaultVariant: 'a',
        targeting: {
          if: [
            {
              and: [{ in: [{ var: 'plan' }, RULE_PLANS] }, { in: [{ var: 'country' }, RULE_COUNTRIES] }],
            },
            'b',
            null, // null: the default variant
          ],
        },
      };
    return {
      state: 'ENABLED',
      variants: Object.fromEntries(SPLIT.map(([v]) => [v, v])),
      defaultVariant: 'a',
      targeting: { fractional: SPLIT.map(([v, percent]) => [v, percent]) },
    };
  };
  return JSON.stringify({ flags: Object.fromEntries(MIX.map((spec) => [spec.key, flag(spec)])) });
}

export function createFlagdAdapter(): SdkAdapter<Context> {
  const core = new FlagdCore();
  const loaded = core.setConfigurations(flagdConfiguration());
  if (loaded.length !== MIX.length) throw new Error(`flagd-core loaded ${loaded.length} flags, not ${MIX.length}`);
  const { static: staticKey, rule, split } = SCENARIO_FLAG;
  return {
    name: 'flagd_core',
    async: false,
    setup: 'new FlagdCore(); setConfigurations(json); resolveBooleanEvaluation / resolveStringEvaluation; resolveAll',
    context: (b) => ({ targetingKey: b.key, plan: b.plan, country: b.country }),
    assign: (c, b) => {
      c.targetingKey = b.key;
      c.plan = b.plan;
      c.country = b.country;
    },
    static: (c) => core.resolveBooleanEvaluation(staticKey, false, c).value,
    rule: (c) => core.resolveStringEvaluation(rule, 'x', c).value,
    split: (c) => core.resolveStringEvaluation(split, 'x', c).value,
    bulk100: (c) => core.resolveAll(c),
    bulkValues: (c) => Object.fromEntries(core.resolveAll(c).map((d) => [d.flagKey, d.value])),
    loops: {
      static: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (core.resolveBooleanEvaluation(staticKey, false, cs[i]).value) hits++;
        return hits;
      },
      rule: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (core.resolveStringEvaluation(rule, 'x', cs[i]).value) hits++;
        return hits;
      },
      split: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (core.resolveStringEvaluation(split, 'x', cs[i]).value) hits++;
        return hits;
      },
      bulk100: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1) if (core.resolveAll(cs[i])) hits++;
        return hits;
      },
    },
    close: () => undefined,
  };
}
