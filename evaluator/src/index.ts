/**
 * The flag model, validation and evaluation engine: the core every part of the product imports.
 * No Node built-ins and no I/O below this folder's `src/` (server code lives in `server/`).
 */
export * from './model/flag.ts';
export * from './model/result.ts';
export type { Engine, Explanation } from './engine/engine.ts';
export { compileSnapshot } from './engine/compile-snapshot.ts';
export * from './validation/index.ts';
