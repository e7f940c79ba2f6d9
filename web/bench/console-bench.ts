/**
 * `npm run bench:console`: see console-bench-run.mts. The benchmark is an .mts module loaded by
 * a computed specifier so that web/tsconfig.json (the app's Next typing, which covers every .ts
 * file under web/) does not compile the stack scripts it imports; web/bench/tsconfig.json checks it.
 */
const run = './console-bench-run.mts';
await import(run);
export {};
