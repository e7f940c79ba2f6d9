/**
 * Whether the console needs a (re)build, and the build itself. `npm start` and the browser tests
 * build when no build exists or when a source file of the console or of the engine core it imports
 * is newer than the build, so nobody serves or tests a stale console.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
const REPO = resolve(WEB_DIR, '..');
export const NEXT_BIN = join(REPO, 'node_modules', 'next', 'dist', 'bin', 'next');

const SOURCES = [
  join(WEB_DIR, 'app'),
  join(WEB_DIR, 'components'),
  join(WEB_DIR, 'lib'),
  join(WEB_DIR, 'proxy.ts'),
  join(WEB_DIR, 'next.config.ts'),
  join(REPO, 'evaluator', 'src'),
];

function newestMtime(path: string, depth = 0): number {
  if (!existsSync(path) || depth > 12) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.next')) continue;
    newest = Math.max(newest, newestMtime(join(path, name), depth + 1));
  }
  return newest;
}

/** The build folder for a dist dir name (CONSOLE_DIST_DIR, default `.next`). */
export function buildDir(distDir = process.env.CONSOLE_DIST_DIR || '.next'): string {
  return join(WEB_DIR, distDir);
}

/** Why a build is needed, or undefined when the one in `distDir` is current. */
export function buildNeeded(distDir?: string): string | undefined {
  const id = join(buildDir(distDir), 'BUILD_ID');
  if (!existsSync(id)) return 'no build exists';
  const built = statSync(id).mtimeMs;
  const newest = Math.max(...SOURCES.map((s) => newestMtime(s)));
  return newest > built ? 'sources changed since the last build' : undefined;
}

/** Runs `next build` into `distDir`; rejects with its last lines when it fails. Leaves web/tsconfig.json as it was. */
export async function buildConsole(distDir?: string, echo: (line: string) => void = () => {}): Promise<void> {
  // next build adds its dist folder's type paths to tsconfig.json; a build must not edit a tracked file.
  const tsconfig = join(WEB_DIR, 'tsconfig.json');
  const before = readFileSync(tsconfig, 'utf8');
  try {
    await runNextBuild(distDir, echo);
  } finally {
    if (readFileSync(tsconfig, 'utf8') !== before) writeFileSync(tsconfig, before);
  }
}

function runNextBuild(distDir: string | undefined, echo: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, 'build'], {
      cwd: WEB_DIR,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        ...(distDir ? { CONSOLE_DIST_DIR: distDir } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > 60) lines.shift();
        echo(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`next build failed (${code}):\n${lines.join('\n')}`)),
    );
  });
}
