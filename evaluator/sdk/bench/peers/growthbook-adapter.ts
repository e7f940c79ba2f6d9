/**
 * @growthbook/growthbook in bench:peers. Its README gives servers two ways: a GrowthBook instance
 * per request (`new GrowthBook({ attributes })` in a middleware), or one shared `GrowthBookClient`
 * ("more efficient") called with a user context per evaluation; this uses the latter, loaded with
 * `initSync({ payload: { features } })` and no client key (no fetch, no stream). `isOn` for the
 * boolean, `getFeatureValue` otherwise; it has no all-flags evaluation, so bulk100 loops over the
 * 100 keys with `evalFeature`. The rule is a `force` rule with a condition; the split an
 * experiment rule (variations a/b/c, weights .33/.33/.34, hashAttribute `id`, hash version 2).
 * GrowthBook reads `process.env.NODE_ENV` on most branches and logs unless it is "production":
 * the bench runs with NODE_ENV=production, as a deployed service would.
 */
import { GrowthBookClient, type FeatureDefinition, type UserContext } from '@growthbook/growthbook';
import { MIX, RULE_COUNTRIES, RULE_PLANS, SCENARIO_FLAG, SPLIT, type FlagSpec, type SdkAdapter } from './scenario.ts';

type Context = UserContext & { attributes: { id: string; plan: string; country: string } };

/** One flag of the mix as a GrowthBook feature definition. */
export function growthBookFeature(spec: FlagSpec, i: number): FeatureDefinition {
  if (spec.kind === 'static') return { defaultValue: true };
  if (spec.kind === 'rule')
    return {
      defaultValue: 'a',
      rules: [{ condition: { plan: { $in: RULE_PLANS }, country: { $in: RULE_COUNTRIES } }, force: 'b' }],
    };
  return {
    defaultValue: 'a',
    rules: [
      {
        key: spec.key,
        variations: SPLIT.map(([v]) => v),
        weights: SPLIT.map(([, percent]) => percent / 100),
        hashAttribute: 'id',
        hashVersion: 2,
        seed: i.toString(16).padStart(32, '0'),
      },
    ],
  };
}

export function createGrowthBookAdapter(): SdkAdapter<Context> {
  const features = Object.fromEntries(MIX.map((spec, i) => [spec.key, growthBookFeature(spec, i)]));
  const gb = new GrowthBookClient({}).initSync({ payload: { features } });
  const keys = MIX.map((f) => f.key);
  const { static: staticKey, rule, split } = SCENARIO_FLAG;
  const bulk = (c: Context) => {
    let on = 0;
    for (let i = 0; i < keys.length; i++) if (gb.evalFeature(keys[i]!, c).on) on++;
    return on;
  };
  return {
    name: 'growthbook',
    async: false,
    setup:
      'one GrowthBookClient, initSync({ payload }); isOn / getFeatureValue(key, default, { attributes }); bulk100 loops evalFeature',
    context: (b) => ({ attributes: { id: b.key, plan: b.plan, country: b.country } }),
    assign: (c, b) => {
      c.attributes.id = b.key;
      c.attributes.plan = b.plan;
      c.attributes.country = b.country;
    },
    static: (c) => gb.isOn(staticKey, c),
    rule: (c) => gb.getFeatureValue(rule, 'x', c),
    split: (c) => gb.getFeatureValue(split, 'x', c),
    bulk100: bulk,
    bulkValues: (c) => Object.fromEntries(keys.map((k) => [k, gb.evalFeature(k, c).value as unknown])),
    loops: {
      static: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (gb.isOn(staticKey, cs[i]!)) hits++;
        return hits;
      },
      rule: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (gb.getFeatureValue(rule, 'x', cs[i]!)) hits++;
        return hits;
      },
      split: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (gb.getFeatureValue(split, 'x', cs[i]!)) hits++;
        return hits;
      },
      bulk100: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1) if (bulk(cs[i]!)) hits++;
        return hits;
      },
    },
    close: () => gb.destroy(),
  };
}
