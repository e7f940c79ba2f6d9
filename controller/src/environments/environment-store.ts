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
  /**
   * Exact origins (`https://app.example.com`) whose pages may call the evaluators' OFREP routes
   * with this environment's client keys (CORS; allowed-origins.ts); empty: none.
   */
  allowedOrigins: string[];
}

/** An environment to insert: with no `allowedOrigins`, it allows none. */
export type NewEnvironment = Omit<EnvironmentRecord, 'allowedOrigins'> & { allowedOrigins?: string[] };

/** What an update may change; `allowedOrigins` left out stays as it is. */
export interface EnvironmentPatch {
  name: string;
  requireApproval: boolean;
  allowedOrigins?: string[];
}

export interface EnvironmentStore {
  get(environmentId: string): Promise<EnvironmentRecord | undefined>;
  listByProject(projectKey: string): Promise<EnvironmentRecord[]>;
  /** Throws DuplicateKeyError when the key exists in the project. */
  insert(env: NewEnvironment): Promise<void>;
  update(environmentId: string, expectedVersion: number, patch: EnvironmentPatch, now: string): Promise<boolean>;
  delete(environmentId: string): Promise<boolean>;
  /**
   * The secret that signs the environment's stream tokens (docs/api.md, "Browser clients"):
   * kept apart from the record, so no API answer or audit row ever carries it.
   */
  streamSecret(environmentId: string): Promise<string | undefined>;
  /** Sets it (at creation); false when the environment is unknown. */
  setStreamSecret(environmentId: string, secret: string): Promise<boolean>;
}

/** The global id of an environment. */
export const environmentId = (projectKey: string, envKey: string): string => `${projectKey}.${envKey}`;
