/**
 * Runs one evaluator server process: `tsx evaluator/src/server/main.ts`. Configuration comes from
 * the environment (see config.ts); a bad value exits at once with a clear message.
 */
import { ConfigError, readEvaluatorConfig, type EvaluatorConfig } from './config.ts';
import { createEvaluatorServer } from './evaluator-server.ts';
import { jsonLogger } from './logger.ts';
import { attachRegion, followerConfig } from './regions/evaluator-region.ts';
import { maskUrlsIn } from '../support/mask-url.ts';

let config: EvaluatorConfig;
try {
  config = readEvaluatorConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`evaluator: ${maskUrlsIn(e.message)}\n`);
    process.exit(2);
  }
  throw e;
}

const logger = jsonLogger('evaluator');
// The follower reads REDIS_READ_URL (this region's replica) when set; the region's loops keep
// REDIS_URL (the home primary) for the served-version reports (docs/regions.md).
const server = createEvaluatorServer(followerConfig(config), { logger });
const region = attachRegion(server, config, logger);
try {
  await server.start();
  region.start();
} catch (e) {
  process.stderr.write(
    `evaluator: could not start on ${config.host}:${config.port}: ${maskUrlsIn((e as Error).message)}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `evaluator listening on ${server.url} (data dir ${config.dataDir}, region ${config.region}${config.redisReadUrl === undefined ? '' : ', reading a replica'})\n`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    region
      .close()
      .then(() => server.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
