/**
 * `@flagship/evaluator/server`: the evaluator server (OFREP, snapshots, SSE, /metrics) for the
 * processes and tests that run one.
 */
export { createEvaluatorServer, type EvaluatorServer, type EvaluatorServerOptions } from './evaluator-server.ts';
export { jsonLogger, silentLogger, type Logger } from './logger.ts';
export { readEvaluatorConfig, resolveEvaluatorConfig, type EvaluatorConfig } from './config.ts';
