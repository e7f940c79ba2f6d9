/**
 * Runs a {@link LoadJob} in its own process (load-process.ts): on two cores the load generator
 * must not share the orchestrator's event loop, and its CPU is measured apart from the server's.
 * Bounded: the child is killed when it has not answered within the schedule, the drain and 30 s.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rateSegments, scheduleSeconds } from './arrival-schedule.ts';
import type { LoadJob, LoadResult } from './load-process.ts';

const LOAD_PROCESS = fileURLToPath(new URL('./load-process.ts', import.meta.url));

/** `onStarted` is called when the schedule's clock starts (connections preallocated). */
export function forkLoad(job: LoadJob, onStarted: () => void = () => {}): Promise<LoadResult> {
  const limitMs = scheduleSeconds(rateSegments(job.executor)) * 1000 + job.drainMs + 30_000;
  return new Promise((resolve, reject) => {
    const child = fork(LOAD_PROCESS, ['--load-process'], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load process gave no result within ${limitMs} ms`));
    }, limitMs);
    child.on('message', (m: { started?: true; result?: LoadResult; error?: string }) => {
      if (m.started) {
        onStarted();
        return;
      }
      clearTimeout(timer);
      if (m.result) resolve(m.result);
      else reject(new Error(`load process: ${m.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`load process exited with ${code} before its result`));
    });
    child.send(job);
  });
}
