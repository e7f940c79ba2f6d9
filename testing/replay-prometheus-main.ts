/**
 * A replay Prometheus in a process of its own (for benchmarks: a real Prometheus is another
 * process too). Answers like a healthy service: ratio queries 0.001, error counts 5, the rest
 * 5000. Prints `replay-prometheus: listening on <url>`; counts at GET /-/replay-stats.
 */
import { startReplayPrometheus } from './prometheus-replay.ts';

const replay = await startReplayPrometheus({
  answer: (q) => (q.includes(' / ') ? { value: 0.001 } : q.includes('errors') ? { value: 5 } : { value: 5_000 }),
});
console.log(`replay-prometheus: listening on ${replay.url}`);
const stop = () => void replay.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
