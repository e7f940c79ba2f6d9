/**
 * The engine core (`@flagship/evaluator` ".", src/index.ts) bundles for a browser: esbuild with
 * platform=browser must reach no Node built-in (node:* or bare `fs`, `crypto`, `buffer`, ...),
 * directly or through a package, and the bundle must evaluate flags in a fresh JavaScript realm
 * that has no Node globals (no process, Buffer, require, atob), as an SDK or the console would.
 * Also proves the WebAssembly SipHash module is compiled on the first bucketing, not at import.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot, type EvaluationResult, type Snapshot } from './index.ts';
import { makeFlag, makeSnapshot, ramp } from './engine/test-support.ts';

const ENTRY = fileURLToPath(new URL('./index.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));

/** What the bundle exposes (its `globalName`): the part of the core's barrel this test uses. */
interface Core {
  compileSnapshot(snapshot: Snapshot): { evaluate(key: string, context: object): EvaluationResult };
  validateSnapshot(input: unknown): { ok: boolean };
}

/**
 * esbuild already fails on an unresolvable built-in for platform=browser; this plugin also fails
 * on one that a package's `browser` field would quietly replace, and names the importer.
 */
const refuseNodeBuiltins: Plugin = {
  name: 'refuse-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.replace(/^node:/, '');
      if (!args.path.startsWith('node:') && !NODE_BUILTINS.has(bare) && !NODE_BUILTINS.has(bare.split('/')[0]!))
        return undefined;
      return {
        errors: [
          { text: `Node built-in "${args.path}" imported by ${args.importer}: the engine core must run in a browser` },
        ],
      };
    });
  },
};

/** Bundles the core for a browser; rejects with esbuild's message on any Node built-in. */
async function bundleCore(): Promise<{ code: string; minifiedBytes: number; metafile: Metafile }> {
  const options: BuildOptions & { write: false; metafile: true } = {
    entryPoints: [ENTRY],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    globalName: 'FlagshipCore',
    target: 'es2022',
    logLevel: 'silent',
    metafile: true,
    plugins: [refuseNodeBuiltins],
  };
  const plain = await build(options);
  const minified = await build({ ...options, minify: true });
  return {
    code: plain.outputFiles[0]!.text,
    minifiedBytes: minified.outputFiles[0]!.contents.byteLength,
    metafile: plain.metafile,
  };
}

// A 50/50 split (buckets the context) and a rule on a semver attribute (runtime support).
const snapshot: Snapshot = makeSnapshot([
  makeFlag('split', { defaultRule: ramp(50_000) }),
  makeFlag('semver', {
    rules: [
      {
        conditions: [{ attribute: 'appVersion', op: 'semverGte', values: ['2.1.0'] }],
        serve: { variant: 'treatment' },
      },
    ],
  }),
  makeFlag('regex', {
    rules: [
      {
        conditions: [{ attribute: 'email', op: 'matches', values: ['@example\\.com$'] }],
        serve: { variant: 'treatment' },
      },
    ],
  }),
]);
const contexts = Array.from({ length: 64 }, (_, i) => ({
  targetingKey: `user-${i}`,
  appVersion: `2.${i % 3}.0`,
  email: i % 2 ? 'a@example.com' : 'b@example.org',
}));

/** Every result of the three flags for every context, as plain JSON. */
function evaluateAll(core: Pick<Core, 'compileSnapshot'>): string {
  const engine = core.compileSnapshot(JSON.parse(JSON.stringify(snapshot)) as Snapshot);
  return JSON.stringify(contexts.flatMap((c) => ['split', 'semver', 'regex'].map((k) => engine.evaluate(k, c))));
}

/**
 * Runs the bundle in a new realm holding only the ECMAScript built-ins plus `extra`; a prelude
 * counts WebAssembly module compilations so the test can see when the module is instantiated.
 */
function loadInFreshRealm(code: string, extra: Record<string, unknown> = {}) {
  const sandbox: Record<string, unknown> = { ...extra };
  runInNewContext(
    `
    var wasmCompilations = 0;
    if (typeof WebAssembly !== 'undefined') {
      const Original = WebAssembly.Module;
      WebAssembly.Module = function (bytes) { wasmCompilations++; return new Original(bytes); };
    }
    ${code}`,
    sandbox,
  );
  return {
    core: sandbox.FlagshipCore as Core,
    globals: sandbox,
    wasmCompilations: () => sandbox.wasmCompilations as number,
  };
}

describe('the engine core in a browser', () => {
  let bundle: Awaited<ReturnType<typeof bundleCore>>;
  beforeAll(async () => {
    bundle = await bundleCore();
  }, 30_000);

  it('bundles for platform=browser without reaching a Node built-in', () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    // The core's own files and re2js (pure JavaScript), nothing else.
    expect(
      inputs.filter((path) => !path.startsWith('evaluator/src/') && !path.startsWith('node_modules/re2js/')),
    ).toEqual([]);
    console.log(
      `engine core browser bundle: ${bundle.code.length} bytes, ${bundle.minifiedBytes} minified, ${inputs.length} inputs`,
    );
  });

  it('evaluates in a realm with no Node globals exactly as in Node', () => {
    const realm = loadInFreshRealm(bundle.code);
    for (const name of ['process', 'Buffer', 'require', 'atob', 'TextEncoder'])
      expect(name in realm.globals).toBe(false);
    expect(realm.core.validateSnapshot(JSON.parse(JSON.stringify(snapshot))).ok).toBe(true);
    expect(evaluateAll(realm.core)).toBe(evaluateAll({ compileSnapshot }));
  });

  it('compiles the WebAssembly module on the first bucketing, not at import', () => {
    const realm = loadInFreshRealm(bundle.code, { atob });
    expect(realm.wasmCompilations()).toBe(0);
    const engine = realm.core.compileSnapshot(JSON.parse(JSON.stringify(snapshot)) as Snapshot);
    expect(realm.wasmCompilations()).toBe(0);
    const first = engine.evaluate('split', contexts[0]!);
    expect(realm.wasmCompilations()).toBe(1);
    expect(evaluateAll(realm.core)).toBe(evaluateAll({ compileSnapshot }));
    expect(realm.wasmCompilations()).toBe(1);
    expect(first.reason).toBe('SPLIT');
  });
});
