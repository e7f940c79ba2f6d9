/**
 * `npx tsx web/bench/screenshots.ts`: see screenshots-run.mts (an .mts module loaded by a
 * computed specifier, for the reason given in console-bench.ts).
 */
const run = './screenshots-run.mts';
await import(run);
export {};
