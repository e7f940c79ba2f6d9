/**
 * `@flagship/evaluator/server`: the evaluator server (OFREP, snapshots, SSE, /metrics) for the
 * processes and tests that run one. `createEvaluatorServer` composes the modules below it
 * (docs/architecture.md); their own exports are internal to the server.
 */
export { createEvaluatorServer, type EvaluatorServer, type EvaluatorServerOptions } from './evaluator-server.ts';
export { jsonLogger, silentLogger, type Logger } from './logger.ts';
export { readEvaluatorConfig, resolveEvaluatorConfig, type EvaluatorConfig } from './config.ts';
export type { Admission } from './admission.ts';
export type { RedisSnapshotFollower } from './snapshots/redis-snapshot-follower.ts';
export type { ServedEnvironment } from './snapshots/served-environment.ts';
