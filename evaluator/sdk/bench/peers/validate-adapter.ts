/**
 * What bench:peers checks before it times an SDK (issue 12): that it answers the same flags right,
 * so the race compares equal work. Pure of timing; every loop is bounded by the contexts given.
 * - static: on for every context;
 * - rule: the expected variant for every timed context (computed here, not by any SDK);
 * - split: each variant's share over `splitBases` within 1 point of 33/33/34, only a/b/c answered,
 *   and the same answer again for the same key in a fresh context object;
 * - bulk100: exactly the 100 flags of the mix, each right (the splits' shares within 1 point over
 *   all split flags), and its split answer equal to the single-flag one;
 * - the timed loops: as many truthy answers as the single calls over the same contexts;
 * - no per-context cache: a context object evaluated, then mutated in place (its key, plan and
 *   country), must be answered for what it now carries: the rule flips, the split equals a fresh
 *   object's answer for the new key.
 */
import {
  expectedRule,
  MIX,
  SCENARIO_FLAG,
  SCENARIOS,
  SPLIT,
  type BaseContext,
  type BulkValues,
  type SdkAdapter,
} from './scenario.ts';

/** How many contexts each check uses (the full lists are `bases` and `splitBases`). */
export const CHECKS = { static: 1000, bulk: 2000, sticky: 1000, loops: 200, mutated: 500 } as const;
/** Largest allowed distance of a split share from its weight, in percentage points. */
export const SPLIT_TOLERANCE_POINTS = 1;

const VARIANTS = new Set(SPLIT.map(([v]) => v));

/** Problems found (empty when the adapter may be timed), each naming the SDK and the check. */
export async function validateAdapter<C>(
  adapter: SdkAdapter<C>,
  bases: readonly BaseContext[],
  splitBases: readonly BaseContext[],
): Promise<string[]> {
  const problems: string[] = [];
  const fail = (check: string, detail: string) => problems.push(`${adapter.name} ${check}: ${detail}`);
  const at = (b: BaseContext) => JSON.stringify(b);

  for (const b of bases.slice(0, CHECKS.static)) {
    const got = await adapter.static(adapter.context(b));
    if (got !== true) {
      fail('static', `answered ${JSON.stringify(got)} for ${at(b)}, want true`);
      break;
    }
  }

  let wrongRules = 0;
  for (const b of bases) {
    const got = await adapter.rule(adapter.context(b));
    if (got !== expectedRule(b) && wrongRules++ === 0)
      fail('rule', `answered ${JSON.stringify(got)} for ${at(b)}, want ${expectedRule(b)}`);
  }
  if (wrongRules > 1) fail('rule', `${wrongRules} of ${bases.length} contexts answered wrong`);

  const splitCounts = new Map<unknown, number>();
  for (const b of splitBases) {
    const got = await adapter.split(adapter.context(b));
    splitCounts.set(got, (splitCounts.get(got) ?? 0) + 1);
  }
  checkShares(splitCounts, splitBases.length, (d) => fail('split', d));
  for (const b of splitBases.slice(0, CHECKS.sticky)) {
    const first = await adapter.split(adapter.context(b));
    const again = await adapter.split(adapter.context({ ...b }));
    if (first !== again) {
      fail('split', `not sticky: ${JSON.stringify(first)} then ${JSON.stringify(again)} for ${at(b)}`);
      break;
    }
  }

  const bulkCounts = new Map<unknown, number>();
  let bulkSplits = 0;
  let bulkWrong = 0;
  for (const b of bases.slice(0, CHECKS.bulk)) {
    const ctx = adapter.context(b);
    const values = await adapter.bulkValues(ctx);
    const problem = bulkProblem(values, b);
    if (problem !== undefined && bulkWrong++ === 0) fail('bulk100', `${problem} for ${at(b)}`);
    for (const f of MIX)
      if (f.kind === 'split') {
        bulkCounts.set(values[f.key], (bulkCounts.get(values[f.key]) ?? 0) + 1);
        bulkSplits++;
      }
    const single = await adapter.split(ctx);
    if (values[SCENARIO_FLAG.split] !== single && bulkWrong++ === 0)
      fail('bulk100', `split ${JSON.stringify(values[SCENARIO_FLAG.split])}, single call ${JSON.stringify(single)}`);
  }
  if (bulkWrong > 1) fail('bulk100', `${bulkWrong} wrong answers over ${CHECKS.bulk} contexts`);
  checkShares(bulkCounts, bulkSplits, (d) => fail('bulk100 split', d));

  // The timed loops must evaluate what was just validated (a loop is the adapter's own code).
  const sample = bases.slice(0, CHECKS.loops);
  for (const s of SCENARIOS) {
    const contexts = sample.map((b) => adapter.context(b));
    let want = 0;
    for (const c of contexts) if (await adapter[s](c)) want++;
    const got = await adapter.loops[s](contexts, 0, contexts.length);
    if (got !== want)
      fail('loops', `${s} counted ${got} truthy answers of ${contexts.length}, the single calls ${want}`);
  }

  let moved = 0;
  let stale = 0;
  const n = Math.min(CHECKS.mutated, bases.length - 1);
  for (let i = 0; i < n; i++) {
    const b = bases[i]!;
    const ctx = adapter.context(b);
    const before = await adapter.split(ctx);
    await adapter.rule(ctx);
    const now = flipped(b, bases[i + 1]!.key);
    adapter.assign(ctx, now);
    const rule = await adapter.rule(ctx);
    const split = await adapter.split(ctx);
    const fresh = await adapter.split(adapter.context(now));
    const bulkRule = (await adapter.bulkValues(ctx))[SCENARIO_FLAG.rule];
    if (split !== before) moved++;
    if (rule !== expectedRule(now) || split !== fresh || bulkRule !== expectedRule(now)) {
      if (stale++ === 0)
        fail(
          'cache',
          `after mutating ${at(b)} to ${at(now)}: rule ${JSON.stringify(rule)} (bulk ${JSON.stringify(bulkRule)}), ` +
            `want ${expectedRule(now)}; split ${JSON.stringify(split)}, a fresh context ${JSON.stringify(fresh)}`,
        );
    }
  }
  if (stale > 1) fail('cache', `${stale} of ${n} mutated contexts answered for what they carried before`);
  // Keys of a uniform split change variant two times in three; none changing means no check was made.
  if (moved === 0 && n > 0)
    fail('cache', `no mutated context changed split variant over ${n}: the check proved nothing`);
  return problems;
}

/** `b` with `key` and the plan/country that make the rule answer the other variant. */
export function flipped(b: BaseContext, key: string): BaseContext {
  return expectedRule(b) === 'b' ? { key, plan: 'free', country: b.country } : { key, plan: 'pro', country: 'NL' };
}

function checkShares(counts: Map<unknown, number>, total: number, fail: (detail: string) => void): void {
  for (const v of counts.keys()) if (!VARIANTS.has(v as string)) fail(`answered ${JSON.stringify(v)}, not a/b/c`);
  for (const [variant, percent] of SPLIT) {
    const share = (100 * (counts.get(variant) ?? 0)) / total;
    if (Math.abs(share - percent) > SPLIT_TOLERANCE_POINTS)
      fail(
        `${variant} got ${share.toFixed(2)}% over ${total} evaluations, want ${percent} +- ${SPLIT_TOLERANCE_POINTS}`,
      );
  }
}

function bulkProblem(values: BulkValues, b: BaseContext): string | undefined {
  const keys = Object.keys(values);
  if (keys.length !== MIX.length) return `${keys.length} flags, want ${MIX.length}`;
  for (const f of MIX) {
    const v = values[f.key];
    if (f.kind === 'static' && v !== true) return `${f.key} ${JSON.stringify(v)}, want true`;
    if (f.kind === 'rule' && v !== expectedRule(b)) return `${f.key} ${JSON.stringify(v)}, want ${expectedRule(b)}`;
    if (f.kind === 'split' && !VARIANTS.has(v as string)) return `${f.key} ${JSON.stringify(v)}, not a/b/c`;
  }
  return undefined;
}
