/**
 * What applying a one-flag delta costs at 10,000 flags (docs/performance.md, "At 10,000 flags"),
 * in one process, both ways in the same run: copying (applyDelta + an incremental compile that
 * copies the engine's tables: what the evaluator did before) against in place (applyDeltaInPlace +
 * `takeOver`: what it does now). Median and max of ROUNDS changes each, interleaved.
 *
 *   npm run bench:delta      (FLAGS=10000 ROUNDS=200)
 *
 * Last line: {"bench":"delta-apply","metrics":{"flags":…,"copy_p50_ms":…,"copy_max_ms":…,
 * "in_place_p50_ms":…,"in_place_max_ms":…,"in_place_vs_copy":…}}.
 */
import { performance } from 'node:perf_hooks';
import { compileSnapshot } from '../src/engine/compile-snapshot.ts';
import type { Engine } from '../src/engine/engine.ts';
import type { Snapshot, SnapshotFlag } from '../src/model/flag.ts';
import { applyDelta, applyDeltaInPlace, type SnapshotDelta } from '../src/model/snapshot-delta.ts';

const FLAGS = Number(process.env.FLAGS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 200);

function flag(key: string, variant: string): SnapshotFlag {
  return {
    key,
    version: 1,
    type: 'string',
    enabled: true,
    variants: { on: 'treatment', off: 'control', other: 'other' },
    offVariant: 'off',
    salt: key,
    prerequisites: [],
    targets: [],
    rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['NL', 'BE'] }], serve: { variant } }],
    defaultRule: {
      split: [
        { variant: 'on', weight: 33_334 },
        { variant: 'off', weight: 33_333 },
        { variant: 'other', weight: 33_333 },
      ],
    },
  };
}

function environment(): { snapshot: Snapshot; engine: Engine } {
  const flags: Record<string, SnapshotFlag> = {};
  for (let i = 0; i < FLAGS; i++) flags[`big-${String(i).padStart(5, '0')}`] = flag(`big-${i}`, 'on');
  const snapshot: Snapshot = {
    environment: 'big.prod',
    version: 1,
    createdAt: '2026-12-03T00:00:00Z',
    flags,
    segments: {},
  };
  return { snapshot, engine: compileSnapshot(snapshot) };
}

const delta = (s: Snapshot, i: number): SnapshotDelta => ({
  environment: s.environment,
  base: s.version,
  version: s.version + 1,
  createdAt: 'x',
  flags: { 'big-00000': flag('big-00000', i % 2 === 0 ? 'off' : 'on') },
  segments: {},
});

const gc = (globalThis as { gc?: () => void }).gc;
let copy = environment();
let inPlace = environment();
const times = { copy: [] as number[], inPlace: [] as number[] };
for (let i = 0; i < ROUNDS; i++) {
  gc?.();
  let t0 = performance.now();
  const d1 = delta(copy.snapshot, i);
  const copied = applyDelta(copy.snapshot, d1);
  copy = {
    snapshot: copied,
    engine: compileSnapshot(copied, { engine: copy.engine, changedFlags: ['big-00000'], changedSegments: [] }),
  };
  times.copy.push(performance.now() - t0);
  gc?.();
  t0 = performance.now();
  const d2 = delta(inPlace.snapshot, i);
  const { snapshot } = applyDeltaInPlace(inPlace.snapshot, d2);
  inPlace = {
    snapshot,
    engine: compileSnapshot(snapshot, {
      engine: inPlace.engine,
      changedFlags: ['big-00000'],
      changedSegments: [],
      takeOver: true,
    }),
  };
  times.inPlace.push(performance.now() - t0);
}
if (
  copy.engine.evaluate('big-00000', { country: 'NL' }).variant !==
  inPlace.engine.evaluate('big-00000', { country: 'NL' }).variant
)
  throw new Error('the two ways disagree');
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)]!, max: s.at(-1)! };
};
const c = stat(times.copy);
const p = stat(times.inPlace);
const r = (x: number) => Math.round(x * 1000) / 1000;
console.log(
  `delta-apply: ${FLAGS} flags, ${ROUNDS} one-flag changes each: copying p50 ${r(c.p50)} ms (max ${r(c.max)}), in place p50 ${r(p.p50)} ms (max ${r(p.max)})`,
);
console.log(
  JSON.stringify({
    bench: 'delta-apply',
    metrics: {
      flags: FLAGS,
      copy_p50_ms: r(c.p50),
      copy_max_ms: r(c.max),
      in_place_p50_ms: r(p.p50),
      in_place_max_ms: r(p.max),
      in_place_vs_copy: r(p.p50 / c.p50),
    },
  }),
);
