export { createDatabase, dialectOf, type DatabaseConfig, type Dialect } from './create-database.ts';
export { runMigrations } from './migrations.ts';
export type { Database } from './schema.ts';
