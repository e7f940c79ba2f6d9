/** A project: a namespace of flags shared by its environments. */
export interface ProjectRecord {
  key: string;
  name: string;
  description: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectStore {
  get(key: string): Promise<ProjectRecord | undefined>;
  list(): Promise<ProjectRecord[]>;
  /** Throws DuplicateKeyError when the key exists. */
  insert(project: ProjectRecord): Promise<void>;
  /** Conditional on `expectedVersion`; false when the row moved (or is gone). */
  update(
    key: string,
    expectedVersion: number,
    patch: { name: string; description: string },
    now: string,
  ): Promise<boolean>;
  delete(key: string): Promise<boolean>;
}
