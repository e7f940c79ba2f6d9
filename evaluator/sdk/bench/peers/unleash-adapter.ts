/**
 * unleash-client in bench:peers: `startUnleash` with its flags as `bootstrap.data`, an in-memory
 * storage provider (no backup file), `refreshInterval: 0` (its fetcher never polls; the URL it
 * requires is never requested) and `disableMetrics: true` (no registration, no metrics posts).
 * `isEnabled` for the boolean; the string flags are Unleash variants (`getVariant(...).name`), it
 * has no all-flags evaluation, so bulk100 loops over the 100 keys. Each flag uses the `default`
 * strategy, the cheapest (a gradual rollout at 100% would hash once more): the rule is a strategy
 * with two IN constraints and variant "b" ahead of an unconstrained one with variant "a"; the split
 * one strategy with variants a/b/c weighted 330/330/340 (of 1000), sticky on the userId.
 */
import { InMemStorageProvider, startUnleash, type Context as UnleashContext, type UnleashConfig } from 'unleash-client';
import { MIX, RULE_COUNTRIES, RULE_PLANS, SCENARIO_FLAG, SPLIT, type FlagSpec, type SdkAdapter } from './scenario.ts';

type Context = UnleashContext & { userId: string; properties: { plan: string; country: string } };
type Features = NonNullable<NonNullable<UnleashConfig['bootstrap']>['data']>;

/** One flag of the mix as an Unleash feature (its client API's shape). */
export function unleashFeature(spec: FlagSpec): Features[number] {
  const strategy = (constraints: unknown[], variants: Array<[string, number]>) => ({
    name: 'default',
    parameters: { groupId: spec.key },
    constraints,
    variants: variants.map(([name, weight]) => ({ name, weight, stickiness: 'default' })),
  });
  const constraint = (contextName: string, values: string[]) => ({
    contextName,
    operator: 'IN',
    values,
    inverted: false,
    caseInsensitive: false,
  });
  const strategies =
    spec.kind === 'static'
      ? [strategy([], [])]
      : spec.kind === 'rule'
        ? [
            strategy([constraint('plan', RULE_PLANS), constraint('country', RULE_COUNTRIES)], [['b', 1000]]),
            strategy([], [['a', 1000]]),
          ]
        : [
            strategy(
              [],
              SPLIT.map(([v, percent]) => [v, percent * 10]),
            ),
          ];
  // The constraint operator is a string enum the package does not export: the JSON is what its API sends.
  return { name: spec.key, enabled: true, type: 'release', strategies, variants: [] } as unknown as Features[number];
}

export async function createUnleashAdapter(): Promise<SdkAdapter<Context>> {
  const unleash = await startUnleash({
    appName: 'bench-peers',
    url: 'http://127.0.0.1:9/never-requested/',
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: MIX.map(unleashFeature) },
  });
  const flags = MIX.map((f) => ({ key: f.key, boolean: f.kind === 'static' }));
  const { static: staticKey, rule, split } = SCENARIO_FLAG;
  const bulk = (c: Context) => {
    let on = 0;
    for (let i = 0; i < flags.length; i++) {
      const f = flags[i]!;
      if (f.boolean ? unleash.isEnabled(f.key, c) : unleash.getVariant(f.key, c).enabled) on++;
    }
    return on;
  };
  return {
    name: 'unleash',
    async: false,
    setup:
      'startUnleash({ bootstrap: { data }, refreshInterval: 0, disableMetrics: true }); isEnabled / getVariant().name; bulk100 loops',
    context: (b) => ({ userId: b.key, properties: { plan: b.plan, country: b.country } }),
    assign: (c, b) => {
      c.userId = b.key;
      c.properties.plan = b.plan;
      c.properties.country = b.country;
    },
    static: (c) => unleash.isEnabled(staticKey, c),
    rule: (c) => unleash.getVariant(rule, c).name,
    split: (c) => unleash.getVariant(split, c).name,
    bulk100: bulk,
    bulkValues: (c) =>
      Object.fromEntries(
        flags.map((f) => [f.key, f.boolean ? unleash.isEnabled(f.key, c) : unleash.getVariant(f.key, c).name]),
      ),
    loops: {
      static: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (unleash.isEnabled(staticKey, cs[i])) hits++;
        return hits;
      },
      rule: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (unleash.getVariant(rule, cs[i]).name) hits++;
        return hits;
      },
      split: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (unleash.getVariant(split, cs[i]).name) hits++;
        return hits;
      },
      bulk100: (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1) if (bulk(cs[i]!)) hits++;
        return hits;
      },
    },
    close: () => unleash.destroy(),
  };
}
