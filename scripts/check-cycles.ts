/**
 * Fails when the TypeScript sources import each other in a cycle, or when an import crosses the
 * layering of DESIGN.md §2: the engine core (evaluator/src outside server/ and sdk/) imports no
 * app, nothing imports web/ or workers/, and controller never imports the evaluator server.
 */
import madge from 'madge';

const roots = ['evaluator', 'controller', 'workers', 'scripts'];
const result = await madge(roots, {
  fileExtensions: ['ts'],
  excludeRegExp: [/node_modules/, /\.d\.ts$/],
  tsConfig: 'tsconfig.json',
  detectiveOptions: { ts: { skipTypeImports: false } },
});

const cycles = result.circular();
const layering: string[] = [];
// Tests may read fixtures and reference packages; the rule is about what ships.
const isCore = (f: string) =>
  f.startsWith('evaluator/src/') && !f.startsWith('evaluator/src/server/') && !f.startsWith('evaluator/src/sdk/');
const isTest = (f: string) => /\.test\.ts$/.test(f);
for (const [file, deps] of Object.entries(result.obj() as Record<string, string[]>)) {
  for (const dep of deps) {
    if (isCore(file) && !isTest(file) && !isCore(dep)) layering.push(`${file} -> ${dep} (the engine core imports nothing outside it)`);
    if (!file.startsWith('workers/') && dep.startsWith('workers/')) layering.push(`${file} -> ${dep} (nothing imports workers/)`);
    if (file.startsWith('controller/') && dep.startsWith('evaluator/src/server/')) layering.push(`${file} -> ${dep} (controller uses the engine, not the evaluator server)`);
  }
}

const files = Object.keys(result.obj()).length;
if (cycles.length > 0) for (const c of cycles) console.error(`import cycle: ${c.join(' -> ')}`);
for (const l of layering) console.error(`layering: ${l}`);
if (cycles.length > 0 || layering.length > 0) process.exit(1);
console.log(`check-cycles: ${files} modules, no import cycles, layering respected`);
