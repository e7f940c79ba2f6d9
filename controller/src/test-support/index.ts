/**
 * `@flagship/controller/testing`: what other workspaces' tests use to stand up a control plane
 * against the real databases (test-database.ts, test-server.ts) and to play another process on
 * the same SQLite file (sqlite-connection.ts). Tests only; nothing that ships imports it.
 */
export * from './sqlite-connection.ts';
export * from './test-database.ts';
export * from './test-server.ts';
