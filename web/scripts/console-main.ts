/**
 * The console process: builds the Next.js app when needed (scripts/console-build.ts), then serves
 * it with `next start` on CONSOLE_HOST:CONSOLE_PORT (127.0.0.1:3000). Prints
 * `console: listening on <url>` once it answers, which `npm start` and the tests wait for.
 */
import { spawn } from 'node:child_process';
import { buildConsole, buildNeeded, NEXT_BIN, WEB_DIR } from './console-build.ts';

const host = process.env.CONSOLE_HOST || '127.0.0.1';
const port = Number(process.env.CONSOLE_PORT || 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`console: CONSOLE_PORT must be an integer 1..65535, got ${JSON.stringify(process.env.CONSOLE_PORT)}`);
  process.exit(1);
}

const why = buildNeeded();
if (why) {
  console.log(`console: building (${why}); this takes about half a minute`);
  try {
    await buildConsole(undefined, (line) => console.log(`console: build: ${line}`));
  } catch (error) {
    console.error(`console: ${(error as Error).message}`);
    process.exit(1);
  }
}

const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', host, '-p', String(port)], {
  cwd: WEB_DIR,
  env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let announced = false;
for (const stream of [child.stdout, child.stderr]) {
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      console.log(`console: ${line.trim()}`);
      if (!announced && /Ready in|ready/i.test(line)) {
        announced = true;
        console.log(`console: listening on http://${host}:${port}`);
      }
    }
  });
}
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
