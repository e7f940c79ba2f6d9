/**
 * `npx tsx web/bench/rollout-screenshots.ts`: see rollout-screenshots-run.mts (an .mts module
 * loaded by a computed specifier, for the reason given in console-bench.ts).
 */
const run = './rollout-screenshots-run.mts';
await import(run);
export {};
