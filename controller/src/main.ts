/** `npm start`: migrate, make sure an admin key exists, serve. */
import { createControlPlane } from './app.ts';
import { ConfigError, type Config, loadConfig } from './config.ts';
import { runMigrations } from './db/migrations.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`controller: bad configuration: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const plane = createControlPlane(config);
try {
  await runMigrations(plane.db);
} catch (error) {
  console.error(`controller: cannot prepare the database (${config.databaseUrl ? 'MySQL' : config.sqliteFile}): ${(error as Error).message}`);
  process.exit(1);
}
let createdToken: string | undefined;
try {
  ({ createdToken } = await plane.services.apiKeys.ensureAdmin(config.adminToken));
} catch (error) {
  console.error(`controller: cannot set up the first admin key: ${(error as Error).message}`);
  process.exit(1);
}
if (createdToken) {
  console.log('controller: created the first admin key. It is shown only this once; keep it:');
  console.log(`\n    ${createdToken}\n`);
}
const server = plane.app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  console.log(`controller: listening on http://${config.host}:${port}/api/v1 (store: ${config.databaseUrl ? 'MySQL' : `SQLite ${config.sqliteFile}`})`);
});
server.on('error', (error) => {
  console.error(`controller: cannot listen on ${config.host}:${config.port}: ${error.message}`);
  process.exit(1);
});
const stop = () => server.close(() => void plane.close().then(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
