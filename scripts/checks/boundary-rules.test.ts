import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';
import { checkBoundaries, RULES, type Manifest, type Project, type SourceFile } from './boundary-rules.ts';
import { readLineComments, readSourceFacts } from './source-facts.ts';

const manifests: Manifest[] = [
  {
    name: '@flagship/evaluator',
    dir: 'evaluator',
    exports: { '.': 'evaluator/src/index.ts', './server': 'evaluator/src/server/index.ts' },
    dependencies: ['re2js', 'ioredis'],
    devDependencies: [],
  },
  {
    name: '@flagship/controller',
    dir: 'controller',
    exports: { '.': 'controller/src/index.ts', './testing': 'controller/src/test-support/index.ts' },
    dependencies: ['@flagship/evaluator', 'express'],
    devDependencies: ['@types/better-sqlite3'],
  },
  {
    name: '@flagship/workers',
    dir: 'workers',
    exports: {},
    dependencies: ['@flagship/controller', '@flagship/evaluator'],
    devDependencies: [],
  },
  {
    name: '@flagship/web',
    dir: 'web',
    exports: {},
    dependencies: ['@flagship/evaluator'],
    devDependencies: ['@flagship/controller'],
  },
  {
    name: '@flagship/sdk',
    dir: 'evaluator/sdk',
    exports: { '.': 'evaluator/sdk/src/index.ts' },
    dependencies: ['@flagship/evaluator', 'prom-client'],
    devDependencies: [],
  },
];
const root: Manifest = {
  name: 'flagship',
  dir: '',
  exports: {},
  dependencies: [],
  devDependencies: ['vitest', 'esbuild'],
};

// Files every example can import; each test adds the one file under judgement.
const base: Record<string, string> = {
  'evaluator/src/index.ts': `export * from './engine/engine.ts';`,
  'evaluator/src/engine/engine.ts': `export const x = 1;`,
  'evaluator/src/server/index.ts': `export const server = 1;`,
  'controller/src/index.ts': `export const stores = 1;`,
  'controller/src/test-support/index.ts': `export const fake = 1;`,
  'controller/src/flags/flag-store.ts': `export const store = 1;`,
  'workers/src/main.ts': `export const main = 1;`,
  'testing/harness.ts': `export const harness = 1;`,
};

function project(files: Record<string, string>): Project {
  const all = { ...base, ...files };
  const sources: SourceFile[] = Object.entries(all).map(([path, text]) => ({ path, ...readSourceFacts(path, text) }));
  return { root, workspaces: manifests, files: sources, exists: (p) => p in all, builtins: builtinModules };
}

/** The violations of `path` as `line -> import (rule)`, for an example made of `files` and the base. */
function violationsOf(path: string, files: Record<string, string>): string[] {
  return checkBoundaries(project(files))
    .filter((v) => v.file === path)
    .map((v) => `${v.line} -> ${v.subject} (${v.rule})`);
}

describe('boundary rules: the SDK (evaluator/sdk, a workspace inside evaluator/)', () => {
  it('its shipped code imports the engine core only, not the evaluator server', () => {
    const file = 'evaluator/sdk/src/client.ts';
    expect(
      violationsOf(file, {
        [file]: `import { x } from '@flagship/evaluator';\nimport { server } from '@flagship/evaluator/server';\nimport { Counter } from 'prom-client';`,
      }),
    ).toEqual([`2 -> @flagship/evaluator/server (${RULES.sdkCore})`]);
  });

  it('is its own workspace: its package.json declares its imports, and relative imports stay inside it', () => {
    const file = 'evaluator/sdk/src/client.ts';
    expect(
      violationsOf(file, {
        [file]: `import { RE2JS } from 're2js';\nimport { x } from '../../src/engine/engine.ts';`,
      }),
    ).toEqual([`1 -> re2js (${RULES.undeclared})`, `2 -> ../../src/engine/engine.ts (${RULES.leavesWorkspace})`]);
  });

  it('its tests may start a server and share the enclosing workspace test support, not its shipped code', () => {
    const file = 'evaluator/sdk/src/client.int.test.ts';
    expect(
      violationsOf(file, {
        'evaluator/src/engine/test-support.ts': `export const makeFlag = 1;`,
        [file]: `import { server } from '@flagship/evaluator/server';\nimport { makeFlag } from '../../src/engine/test-support.ts';\nimport { x } from '../../src/engine/engine.ts';`,
      }),
    ).toEqual([`3 -> ../../src/engine/engine.ts (${RULES.leavesWorkspace})`]);
  });
});

describe('boundary rules', () => {
  it('passes the base project', () => {
    expect(checkBoundaries(project({}))).toEqual([]);
  });

  it('refuses a relative import into another workspace and a deep package import', () => {
    const file = 'workers/src/tick.ts';
    expect(
      violationsOf(file, {
        [file]: `import { store } from '../../controller/src/flags/flag-store.ts';\nimport { x } from '@flagship/controller/src/flags/flag-store.ts';\nimport { stores } from '@flagship/controller';`,
      }),
    ).toEqual([
      `1 -> ../../controller/src/flags/flag-store.ts (${RULES.leavesWorkspace})`,
      `2 -> @flagship/controller/src/flags/flag-store.ts (${RULES.notExported})`,
    ]);
  });

  it('refuses root tooling reaching into a workspace past its exports', () => {
    const file = 'scripts/stack/start.ts';
    expect(
      violationsOf(file, {
        [file]: `import { store } from '../../controller/src/flags/flag-store.ts';\nimport { stores } from '@flagship/controller';`,
      }),
    ).toEqual([`1 -> ../../controller/src/flags/flag-store.ts (${RULES.leavesWorkspace})`]);
  });

  it('refuses packages the workspace does not declare; root devDependencies count for test files only', () => {
    const src = 'workers/src/run.ts';
    const test = 'workers/src/run.test.ts';
    expect(
      violationsOf(src, {
        [src]: `import express from 'express';\nimport { build } from 'esbuild';\nimport { x } from '@flagship/evaluator';`,
      }),
    ).toEqual([`1 -> express (${RULES.undeclared})`, `2 -> esbuild (${RULES.undeclared})`]);
    expect(violationsOf(test, { [test]: `import { it } from 'vitest';\nimport { Redis } from 'ioredis';` })).toEqual([
      `2 -> ioredis (${RULES.undeclared})`,
    ]);
  });

  it('refuses an undeclared workspace and a name no workspace has', () => {
    const file = 'controller/src/flags/x.ts';
    expect(
      violationsOf(file, {
        [file]: `import { main } from '@flagship/workers';\nimport { y } from '@flagship/nothing';`,
      }),
    ).toEqual([
      `1 -> @flagship/workers (${RULES.undeclared})`,
      `1 -> @flagship/workers (${RULES.notExported})`,
      `2 -> @flagship/nothing (${RULES.unknownPackage})`,
    ]);
  });

  it('lets a type-only import be covered by its @types package', () => {
    const file = 'controller/src/db.ts';
    expect(
      violationsOf(file, {
        [file]: `import type { Database } from 'better-sqlite3';\nimport Sqlite from 'better-sqlite3';`,
      }),
    ).toEqual([`2 -> better-sqlite3 (${RULES.undeclared})`]);
  });

  it('keeps the engine core free of Node built-ins, Node-only packages and the rest of the evaluator', () => {
    const file = 'evaluator/src/engine/hash.ts';
    const text = [
      `import { createHash } from 'node:crypto';`,
      `import { readFileSync } from 'fs';`,
      `import type { Buffer } from 'buffer';`,
      `import { Redis } from 'ioredis';`,
      `import { RE2JS } from 're2js';`,
      `import { server } from '../server/index.ts';`,
      `import { x } from './engine.ts';`,
    ].join('\n');
    expect(violationsOf(file, { [file]: text })).toEqual([
      `1 -> node:crypto (${RULES.coreNode})`,
      `2 -> fs (${RULES.coreNode})`,
      `3 -> buffer (${RULES.coreNode})`,
      `4 -> ioredis (${RULES.corePackage})`,
      `6 -> ../server/index.ts (${RULES.coreOutside})`,
    ]);
    // The server and the core's tests are not the core.
    expect(
      violationsOf('evaluator/src/server/cache.ts', {
        'evaluator/src/server/cache.ts': `import { createHash } from 'node:crypto';`,
      }),
    ).toEqual([]);
    expect(
      violationsOf('evaluator/src/engine/hash.test.ts', {
        'evaluator/src/engine/hash.test.ts': `import { readFileSync } from 'node:fs';`,
      }),
    ).toEqual([]);
  });

  it('keeps test support and root tooling in test files and test-support/', () => {
    const files = {
      'workers/src/a.ts': `import { fake } from '@flagship/controller/testing';\nimport { harness } from '../../testing/harness.ts';`,
      'workers/src/a.test.ts': `import { fake } from '@flagship/controller/testing';\nimport { harness } from '../../testing/harness.ts';`,
      'workers/src/test-support/world.ts': `import { fake } from '@flagship/controller/testing';`,
      'workers/bench/b.ts': `import { harness } from '../../testing/harness.ts';`,
    };
    const all = checkBoundaries(project(files)).map((v) => `${v.file}:${v.line} -> ${v.subject} (${v.rule})`);
    expect(all).toEqual([
      `workers/src/a.ts:1 -> @flagship/controller/testing (${RULES.testOnly})`,
      `workers/src/a.ts:2 -> ../../testing/harness.ts (${RULES.testOnly})`,
    ]);
  });

  it('holds the layering: nothing imports workers/ or web/, controller not the evaluator server, the evaluator no app', () => {
    const files = {
      'scripts/start.ts': `import { main } from '../workers/src/main.ts';`,
      'controller/src/serve.ts': `import { server } from '@flagship/evaluator/server';`,
      'evaluator/src/server/admin.ts': `import { stores } from '@flagship/controller';`,
      'workers/src/main.test.ts': `import { main } from './main.ts';`,
    };
    const all = checkBoundaries(project(files)).map((v) => `${v.file}:${v.line} -> ${v.subject} (${v.rule})`);
    expect(all).toEqual([
      `controller/src/serve.ts:1 -> @flagship/evaluator/server (${RULES.controllerServer})`,
      `evaluator/src/server/admin.ts:1 -> @flagship/controller (${RULES.undeclared})`,
      `evaluator/src/server/admin.ts:1 -> @flagship/controller (${RULES.evaluatorApps})`,
      `scripts/start.ts:1 -> ../workers/src/main.ts (${RULES.leavesWorkspace})`,
      `scripts/start.ts:1 -> ../workers/src/main.ts (${RULES.workersWeb})`,
    ]);
  });

  it('lets the console import the engine core and nothing else of the other workspaces', () => {
    expect(
      violationsOf('web/app/page.tsx', { 'web/app/page.tsx': `import { x } from '@flagship/evaluator';` }),
    ).toEqual([]);
    expect(
      violationsOf('web/app/flags.tsx', {
        'web/app/flags.tsx': `import { server } from '@flagship/evaluator/server';`,
      }),
    ).toEqual([`1 -> @flagship/evaluator/server (${RULES.webCore})`]);
    // Its tests run in Node, unbundled: they may use the controller's exports, never its insides.
    expect(
      violationsOf('web/lib/verdict.test.ts', {
        'web/lib/verdict.test.ts': `import { fake } from '@flagship/controller/testing';\nimport { store } from '../../controller/src/flags/flag-store.ts';`,
      }),
    ).toEqual([`2 -> ../../controller/src/flags/flag-store.ts (${RULES.leavesWorkspace})`]);
    expect(
      violationsOf('web/lib/verdict.ts', {
        'web/lib/verdict.ts': `import { fake } from '@flagship/controller/testing';`,
      }),
    ).toEqual([
      `1 -> @flagship/controller/testing (${RULES.testOnly})`,
      `1 -> @flagship/controller/testing (${RULES.webCore})`,
    ]);
  });

  it('finds an import cycle, type-only imports and package exports included', () => {
    const files = {
      'controller/src/a.ts': `import { b } from './b.ts';\nexport const a = 1;`,
      'controller/src/b.ts': `import type { C } from './c.ts';\nexport const b = 1;`,
      'controller/src/c.ts': `import { a } from './a.ts';\nexport type C = number;`,
      'controller/src/d.ts': `import { a } from './a.ts';`,
    };
    expect(checkBoundaries(project(files)).map((v) => `${v.file}:${v.line} -> ${v.subject} (${v.rule})`)).toEqual([
      `controller/src/a.ts:1 -> ./b.ts (${RULES.cycle}: controller/src/a.ts -> controller/src/b.ts -> controller/src/c.ts -> controller/src/a.ts)`,
    ]);
    const viaExport = {
      'controller/src/index.ts': `export { store } from './flags/flag-store.ts';`,
      'controller/src/flags/flag-store.ts': `import { stores } from '@flagship/controller';\nexport const store = 1;`,
    };
    expect(checkBoundaries(project(viaExport)).map((v) => v.rule)).toEqual([
      `${RULES.cycle}: controller/src/flags/flag-store.ts -> controller/src/index.ts -> controller/src/flags/flag-store.ts`,
    ]);
  });

  it('refuses an import of a file that does not exist', () => {
    expect(violationsOf('controller/src/x.ts', { 'controller/src/x.ts': `import { gone } from './gone.ts';` })).toEqual(
      [`1 -> ./gone.ts (${RULES.unresolved})`],
    );
  });

  it('refuses comments citing files outside the repository, at the line they are on', () => {
    const file = 'controller/src/x.ts';
    const text = [
      `/**`,
      ` * Why: see DESIGN.md §5 and ../shared/STYLE.md, from seeds/rollouts.yaml.`,
      ` * Written on /work/main/controller.`,
      ` */`,
      `export const x = 1; // docs/architecture.md and docs/DESIGN.md are ours`,
      `const s = '// DESIGN.md in a string is not a comment';`,
    ].join('\n');
    expect(violationsOf(file, { [file]: text })).toEqual([
      `2 -> DESIGN.md (${RULES.comment})`,
      `2 -> ../shared/STYLE.md (${RULES.comment})`,
      `2 -> seeds/rollouts.yaml (${RULES.comment})`,
      `3 -> /work/main/controller (${RULES.comment})`,
    ]);
  });
});

describe('readSourceFacts', () => {
  it('reads every kind of import with its line and whether it is erased', () => {
    const text = [
      `import a from 'a';`,
      `import type { B } from 'b';`,
      `import { type C } from 'c';`,
      `import { type D, d } from 'd';`,
      `export * from 'e';`,
      `export type { F } from 'f';`,
      `const g = await import('g');`,
      `let h: import('h').H;`,
      `import './side-effect.ts';`,
      'const s = `import x from "not-an-import"`;',
    ].join('\n');
    expect(
      readSourceFacts('x.ts', text).imports.map((i) => `${i.line} ${i.specifier}${i.typeOnly ? ' type' : ''}`),
    ).toEqual(['1 a', '2 b type', '3 c type', '4 d', '5 e', '6 f type', '7 g', '8 h type', '9 ./side-effect.ts']);
  });

  it('reads each comment once, including one before a closing brace', () => {
    const text = `// one\nfunction f() {\n  return 1; /* two */\n  // three\n}\nconst r = /\\/\\/ not a comment/;`;
    expect(readSourceFacts('x.ts', text).comments).toEqual([
      { text: '// one', line: 1 },
      { text: '/* two */', line: 3 },
      { text: '// three', line: 4 },
    ]);
  });

  it('reads the -- comments of a Lua script', () => {
    expect(readLineComments("-- KEYS[1]: the lock\nlocal v = redis.call('GET', KEYS[1]) -- owner\nreturn v")).toEqual([
      { text: '-- KEYS[1]: the lock', line: 1 },
      { text: '-- owner', line: 2 },
    ]);
  });
});
