/**
 * What the memory stores (memory-stores.ts) keep their rows in: named tables of rows keyed by
 * their unique key, and one id sequence per table, the way an autoincrement column counts.
 * Rows are plain data (strings, numbers, booleans, arrays, objects), so a copy is a
 * structuredClone: a write transaction works on a copy and commits by handing it back
 * (memory-unit-of-work.ts), which is what makes a failed write leave nothing behind.
 */
export class MemoryDatabase {
  #tables = new Map<string, Map<string, unknown>>();
  #sequences = new Map<string, number>();

  /** The rows of one table, created empty on first use; a store names its own tables. */
  table<Row>(name: string): Map<string, Row> {
    let rows = this.#tables.get(name);
    if (!rows) {
      rows = new Map();
      this.#tables.set(name, rows);
    }
    return rows as Map<string, Row>;
  }

  /** The next id of a table's sequence: 1, 2, 3, ... (never reused within this copy). */
  nextId(name: string): number {
    const id = (this.#sequences.get(name) ?? 0) + 1;
    this.#sequences.set(name, id);
    return id;
  }

  /** An independent deep copy: a transaction's working copy or a consistent read's snapshot. */
  copy(): MemoryDatabase {
    const c = new MemoryDatabase();
    c.#tables = structuredClone(this.#tables);
    c.#sequences = new Map(this.#sequences);
    return c;
  }

  /** Takes over the rows of a committed working copy (which must not be used afterwards). */
  replaceWith(committed: MemoryDatabase): void {
    this.#tables = committed.#tables;
    this.#sequences = committed.#sequences;
  }
}

/** A copy of a stored row, so that no caller ever holds (or changes) what a store keeps. */
export const copyOf = <T>(row: T): T => structuredClone(row);

/** What a JSON column gives back: `undefined` members gone, dates as strings (as the kysely stores). */
export const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * Ascending by a string or number key. Strings compare by code unit, like the databases' binary
 * collations (utf8mb4_bin, SQLite BINARY) for the ASCII keys the API allows.
 */
export function sortBy<T>(rows: T[], key: (row: T) => string | number, direction: 'asc' | 'desc' = 'asc'): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -sign : x > y ? sign : 0;
  });
}

/** The key of a row with a two-column unique key (environment and flag, environment and segment). */
export const pairKey = (a: string | number, b: string | number): string => `${a}\u0000${b}`;
