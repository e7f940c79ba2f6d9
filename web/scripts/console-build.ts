/**
 * Whether the console needs a (re)build, and the build itself. `npm start` and the browser tests
 * build when no build exists or when a source file of the console or of the engine core it imports
 * is newer than the build, so nobody serves or tests a stale console.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  await withBuildLock(async () => {
    // next build adds its dist folder's type paths to tsconfig.json; a build must not edit a tracked file.
    const tsconfig = join(WEB_DIR, 'tsconfig.json');
    const before = readFileSync(tsconfig, 'utf8');
    try {
      await runNextBuild(distDir, echo);
    } finally {
      if (readFileSync(tsconfig, 'utf8') !== before) writeFileSync(tsconfig, before);
    }
  });
}

// One build at a time per checkout, whatever the dist dir: next build refuses to run beside another
// build of the same project, and each build rewrites web/tsconfig.json while it runs.
const BUILD_LOCK = join(WEB_DIR, '.console-build-lock');
const STALE_LOCK_MS = 10 * 60_000;

async function withBuildLock(build: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // A lock older than any build is a crashed build's.
      if (existsSync(BUILD_LOCK) && Date.now() - statSync(BUILD_LOCK).mtimeMs > STALE_LOCK_MS)
        rmSync(BUILD_LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another console build');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    await build();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
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
