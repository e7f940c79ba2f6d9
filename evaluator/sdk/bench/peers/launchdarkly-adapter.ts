/**
 * @launchdarkly/node-server-sdk in bench:peers: `init` with its TestData source as the update
 * processor (no stream, no polling), `sendEvents: false` and `diagnosticOptOut: true` (no event or
 * diagnostic traffic). Flags go in as full flag JSON (`usePreconfiguredFlag`), since TestData's
 * builder has no percentage rollout. Its evaluation API answers Promises (`variation`,
 * `allFlagsState`): each timed call is awaited, as a request handler would.
 */
import { basicLogger, init, TestData, type LDClient } from '@launchdarkly/node-server-sdk';
import { MIX, RULE_COUNTRIES, RULE_PLANS, SCENARIO_FLAG, SPLIT, type FlagSpec, type SdkAdapter } from './scenario.ts';

type Context = { kind: 'user'; key: string; plan: string; country: string };

/** One flag of the mix in LaunchDarkly's flag data model (weights in units of 0.001%). */
export function launchDarklyFlag(spec: FlagSpec, i: number): Record<string, unknown> {
  const common = {
    key: spec.key,
    version: 1,
    on: true,
    salt: i.toString(16).padStart(32, '0'),
    targets: [],
    contextTargets: [],
    prerequisites: [],
    trackEvents: false,
    trackEventsFallthrough: false,
    clientSide: false,
    deleted: false,
  };
  if (spec.kind === 'static')
    return { ...common, variations: [false, true], offVariation: 0, fallthrough: { variation: 1 }, rules: [] };
  if (spec.kind === 'rule') {
    const clause = (attribute: string, values: string[]) => ({
      contextKind: 'user',
      attribute,
      op: 'in',
      values,
      negate: false,
    });
    return {
      ...common,
      variations: ['a', 'b'],
      offVariation: 0,
      fallthrough: { variation: 0 },
      rules: [
        {
          id: 'rule-0',
          variation: 1,
          clauses: [clause('plan', RULE_PLANS), clause('country', RULE_COUNTRIES)],
          trackEvents: false,
        },
      ],
    };
  }
  return {
    ...common,
    variations: SPLIT.map(([v]) => v),
    offVariation: 0,
    fallthrough: {
      rollout: {
        kind: 'rollout',
        contextKind: 'user',
        bucketBy: 'key',
        variations: SPLIT.map(([, percent], variation) => ({ variation, weight: percent * 1000 })),
      },
    },
    rules: [],
  };
}

export async function createLaunchDarklyAdapter(): Promise<SdkAdapter<Context>> {
  const td = new TestData();
  for (const [i, spec] of MIX.entries()) await td.usePreconfiguredFlag(launchDarklyFlag(spec, i));
  const client: LDClient = init('sdk-bench-offline', {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: basicLogger({ level: 'warn' }),
  });
  await client.waitForInitialization({ timeout: 10 });
  const { static: staticKey, rule, split } = SCENARIO_FLAG;
  return {
    name: 'launchdarkly',
    async: true,
    setup:
      'init(key, { updateProcessor: TestData, sendEvents: false, diagnosticOptOut: true }); await variation(); await allFlagsState()',
    context: (b) => ({ kind: 'user', key: b.key, plan: b.plan, country: b.country }),
    assign: (c, b) => {
      c.key = b.key;
      c.plan = b.plan;
      c.country = b.country;
    },
    static: (c) => client.variation(staticKey, c, false),
    rule: (c) => client.variation(rule, c, 'x'),
    split: (c) => client.variation(split, c, 'x'),
    bulk100: (c) => client.allFlagsState(c),
    bulkValues: async (c) => (await client.allFlagsState(c)).allValues(),
    loops: {
      static: async (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (await client.variation(staticKey, cs[i]!, false)) hits++;
        return hits;
      },
      rule: async (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (await client.variation(rule, cs[i]!, 'x')) hits++;
        return hits;
      },
      split: async (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (await client.variation(split, cs[i]!, 'x')) hits++;
        return hits;
      },
      bulk100: async (cs, from, n) => {
        let hits = 0;
        for (let j = 0, i = from; j < n; j++, i = i + 1 === cs.length ? 0 : i + 1)
          if (await client.allFlagsState(cs[i]!)) hits++;
        return hits;
      },
    },
    close: () => client.close(),
  };
}
