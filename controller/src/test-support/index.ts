/**
 * `@flagship/controller/testing`: what other workspaces' tests use to stand up a control plane
 * against the real databases (test-database.ts, test-server.ts). Tests only; nothing that ships
 * imports it.
 */
export * from './test-database.ts';
export * from './test-server.ts';
