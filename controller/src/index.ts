/** What other parts of the product (workers/) import from the controller. */
export { createDatabase, dialectOf, runMigrations, type Database, type DatabaseConfig } from './db/index.ts';
export { loadEnvironmentState, type EnvironmentState } from './snapshots/load-environment-state.ts';
export { hashApiKey } from './api-keys/hash-api-key.ts';
export type { OutboxKind, OutboxRow } from './outbox/outbox-store.ts';
