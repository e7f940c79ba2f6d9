/** An environment of a project; `id` is the global `project.env` id. */
export interface EnvironmentRecord {
  id: string;
  projectKey: string;
  key: string;
  name: string;
  requireApproval: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentStore {
  get(environmentId: string): Promise<EnvironmentRecord | undefined>;
  listByProject(projectKey: string): Promise<EnvironmentRecord[]>;
  /** Throws DuplicateKeyError when the key exists in the project. */
  insert(env: EnvironmentRecord): Promise<void>;
  update(
    environmentId: string,
    expectedVersion: number,
    patch: { name: string; requireApproval: boolean },
    now: string,
  ): Promise<boolean>;
  delete(environmentId: string): Promise<boolean>;
}

/** The global id of an environment. */
export const environmentId = (projectKey: string, envKey: string): string => `${projectKey}.${envKey}`;
