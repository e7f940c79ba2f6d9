import type { Flag, FlagConfig } from '@flagship/evaluator';

/** A flag's definition, shared by every environment of its project. */
export interface FlagRecord {
  projectKey: string;
  key: string;
  definition: Flag;
  archived: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A flag's configuration in one environment, versioned on its own. */
export interface ConfigRecord {
  environmentId: string;
  projectKey: string;
  flagKey: string;
  config: FlagConfig;
  version: number;
  updatedAt: string;
}

export interface FlagListQuery {
  /** Default false: only live flags. 'all' lists both. */
  archived?: boolean | 'all';
  tag?: string;
  type?: string;
  /** Substring of the key or of the description, case-insensitive (ASCII letters at least). */
  q?: string;
  /** Keyset pagination: keys strictly after this one. */
  after?: string;
  limit: number;
}

export interface FlagStore {
  get(projectKey: string, key: string): Promise<FlagRecord | undefined>;
  list(projectKey: string, query: FlagListQuery): Promise<FlagRecord[]>;
  /** Every flag of the project (archived too), in key order. */
  listAll(projectKey: string): Promise<FlagRecord[]>;
  countByProject(projectKey: string): Promise<number>;
  /** Throws DuplicateKeyError when the key exists in the project. */
  insert(flag: FlagRecord): Promise<void>;
  /** Conditional on `expectedVersion`; writes version + 1. */
  update(
    projectKey: string,
    key: string,
    expectedVersion: number,
    patch: { definition: Flag; archived: boolean },
    now: string,
  ): Promise<boolean>;
}

export interface ConfigStore {
  get(environmentId: string, flagKey: string): Promise<ConfigRecord | undefined>;
  /** Takes a row lock where the dialect has them (MySQL); SQLite transactions are serialized anyway. */
  getForUpdate(environmentId: string, flagKey: string): Promise<ConfigRecord | undefined>;
  listByEnvironment(environmentId: string): Promise<ConfigRecord[]>;
  listByFlag(projectKey: string, flagKey: string): Promise<ConfigRecord[]>;
  /** The configs of these flags in every environment of the project, in one read (flag key, then environment id order). */
  configsOf(projectKey: string, flagKeys: readonly string[]): Promise<ConfigRecord[]>;
  insert(config: ConfigRecord): Promise<void>;
  /** Conditional on `expectedVersion` (`UPDATE ... WHERE version = ?`); writes version + 1. */
  update(
    environmentId: string,
    flagKey: string,
    expectedVersion: number,
    config: FlagConfig,
    now: string,
  ): Promise<boolean>;
  deleteByEnvironment(environmentId: string): Promise<number>;
}
