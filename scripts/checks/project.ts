/**
 * Reads the repository into the {@link Project} that boundary-rules.ts judges: the root and
 * workspace package.json files (names, exports, declared dependencies) and every TypeScript source
 * with its imports and comments.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import type { Manifest, Project, SourceFile } from './boundary-rules.ts';
import { readLineComments, readSourceFacts } from './source-facts.ts';

/** Folders below the root whose sources are checked, besides the workspaces. */
const TOOLING_DIRS = ['scripts', 'testing', 'types'];
const SKIPPED_DIRS = new Set(['node_modules', '.next', 'dist', 'data', 'coverage', '.tmp']);
const SOURCE = /\.(ts|tsx|mts|cts)$/;
/** Lua and SQL files: only their `--` comments are checked. */
const SCRIPT = /\.(lua|sql)$/;

interface PackageJson {
  name?: string;
  workspaces?: string[];
  exports?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The project rooted at `rootDir` (the folder holding the root package.json). */
export function readProject(rootDir: string): Project {
  const rootJson = readJson(join(rootDir, 'package.json'));
  const root = toManifest(rootJson, '');
  const workspaces = (rootJson.workspaces ?? []).map((dir) =>
    toManifest(readJson(join(rootDir, dir, 'package.json')), dir),
  );

  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(rootDir, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        // .next-<name>: the console's builds into their own folders (CONSOLE_DIST_DIR).
        if (dir !== '' && !SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.next')) walk(path);
      } else if (SOURCE.test(entry.name)) {
        files.push({ path, ...readSourceFacts(path, readFileSync(join(rootDir, path), 'utf8')) });
      } else if (SCRIPT.test(entry.name)) {
        files.push({ path, imports: [], comments: readLineComments(readFileSync(join(rootDir, path), 'utf8')) });
      }
    }
  };
  walk(''); // top-level files only (vitest.config.ts, ...)
  for (const dir of [...workspaces.map((w) => w.dir), ...TOOLING_DIRS]) if (existsSync(join(rootDir, dir))) walk(dir);

  const exists = (path: string) => {
    const full = join(rootDir, path);
    return existsSync(full) && statSync(full).isFile();
  };
  return { root, workspaces, files, exists, builtins: builtinModules.filter((m) => !m.startsWith('_')) };
}

function readJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

function toManifest(json: PackageJson, dir: string): Manifest {
  const exports: Record<string, string> = {};
  const raw = json.exports;
  const entries: [string, unknown][] =
    typeof raw === 'string' || (raw && typeof raw === 'object' && !Object.keys(raw).some((k) => k.startsWith('.')))
      ? [['.', raw]]
      : Object.entries(raw ?? {});
  for (const [subpath, value] of entries) {
    const target = conditionTarget(value);
    if (target !== undefined) exports[subpath] = posix.join(dir, target);
  }
  return {
    name: json.name ?? dir,
    dir,
    exports,
    // A peer dependency (the SDK's optional prom-client, OpenFeature) is declared, too: the service brings it.
    dependencies: [...Object.keys(json.dependencies ?? {}), ...Object.keys(json.peerDependencies ?? {})],
    devDependencies: Object.keys(json.devDependencies ?? {}),
  };
}

// Conditional exports ({"types": ..., "import": ..., "default": ...}): the file a TypeScript import
// lands on, which in this repository is the .ts source itself.
function conditionTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return undefined;
  const conditions = value as Record<string, unknown>;
  for (const key of ['types', 'import', 'node', 'browser', 'default', ...Object.keys(conditions)]) {
    const found = key in conditions ? conditionTarget(conditions[key]) : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}
