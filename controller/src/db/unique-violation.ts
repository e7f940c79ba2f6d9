/** A unique index refused a row: the caller maps it to 409 DUPLICATE_KEY. */
export class DuplicateKeyError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'DuplicateKeyError';
  }
}

/** True for a unique-constraint error from mysql2 or better-sqlite3. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs an insert, turning a unique violation into {@link DuplicateKeyError}. */
export async function insertUnique<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateKeyError(what);
    throw error;
  }
}
