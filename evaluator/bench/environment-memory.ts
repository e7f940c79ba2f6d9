/**
 * How much memory an evaluator spends per 10,000-flag environment (docs/architecture.md,
 * "Capacity"): N environments (default 10) of 10,000 flags (one rule, a 3-way split each), each
 * held as an evaluator holds it (the envelope JSON for the disk copy, the parsed snapshot, the
 * compiled engine), measured after a full collection. Run:
 * `N=10 node --expose-gc --max-old-space-size=8000 --import tsx evaluator/bench/environment-memory.ts`
 */
import { makeFlag } from '../src/engine/test-support.ts';
import { compileSnapshot } from '../src/engine/compile-snapshot.ts';
import { THREE_VARIANTS, THREE_WAY, cond } from './mixed-flags.ts';
const gc = (globalThis as any).gc as () => void;
function env(e: number) {
  const flags: Record<string, any> = {};
  for (let i = 0; i < 10000; i++) {
    const key = `flag-${i}`;
    flags[key] = makeFlag(key, {
      salt: (i * 7 + e).toString(16).padStart(32, '0'),
      variants: THREE_VARIANTS,
      rules: [{ conditions: [cond('country', 'in', ['BR', 'NL'])], serve: { variant: 'treatment' } }],
      defaultRule: THREE_WAY,
    });
  }
  return JSON.stringify({
    snapshot: { environment: `e${e}`, version: 1, createdAt: 'x', flags, segments: {} },
    sdkKeyHashes: [],
  });
}
gc();
const base = process.memoryUsage();
const held: any[] = [];
const N = Number(process.env.N ?? 10);
for (let e = 0; e < N; e++) {
  const raw = env(e);
  const parsed = JSON.parse(raw);
  held.push({ raw, parsed, engine: compileSnapshot(parsed.snapshot) });
}
gc();
const after = process.memoryUsage();
const mb = (x: number) => (x / N / 1048576).toFixed(1);
console.log(
  JSON.stringify({
    envs: N,
    raw_mb_per_env: (held[0].raw.length / 1048576).toFixed(2),
    heap_mb_per_env: mb(after.heapUsed - base.heapUsed),
    rss_mb_per_env: mb(after.rss - base.rss),
  }),
);
