/**
 * A small client of the controller's admin API, for the benchmark and the end-to-end tests: the
 * calls a user makes to set up a project and change a flag.
 */
export class AdminClient {
  constructor(
    readonly apiUrl: string,
    private readonly token: string,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const r = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as T, headers: r.headers };
  }

  /** Like {@link request} but throws unless the status is 2xx. */
  async ok<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const r = await this.request<T>(method, path, body, headers);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /**
   * A project with one environment and one boolean flag enabled there, and an SDK key for the
   * environment. Returns the environment id, the SDK key and the flag config's version.
   */
  async setUpBooleanFlag(
    project: string,
    env: string,
    flag: string,
  ): Promise<{ environmentId: string; sdkKey: string; configVersion: number }> {
    // Paced: on SQLite the publisher's writes (outbox delete) can land inside a controller
    // transaction and fail it with SQLITE_BUSY_SNAPSHOT until the controller retries that code.
    const pace = () => new Promise((r) => setTimeout(r, 150));
    await this.ok('POST', '/projects', { key: project, name: project });
    await this.ok('POST', `/projects/${project}/environments`, { key: env, name: env });
    await pace();
    await this.ok('POST', `/projects/${project}/flags`, {
      key: flag,
      type: 'boolean',
      variants: { on: true, off: false },
    });
    await pace();
    const environmentId = `${project}.${env}`;
    const key = await this.ok<{ token: string }>('POST', '/api-keys', {
      name: `${environmentId} sdk`,
      owner: 'local stack',
      role: 'sdk',
      environments: [environmentId],
    });
    await pace();
    const current = await this.ok<{ version: number }>('GET', `/projects/${project}/environments/${env}/flags/${flag}`);
    const written = await this.putConfig(project, env, flag, current.version, {
      enabled: true,
      defaultRule: { variant: 'on' },
    });
    return { environmentId, sdkKey: key.token, configVersion: written.version };
  }

  /** Writes a flag config (enabled, serving `variant` by default); returns the new config version. */
  async putConfig(
    project: string,
    env: string,
    flag: string,
    version: number,
    config: { enabled: boolean; defaultRule: { variant: string } },
  ): Promise<{ version: number }> {
    return this.ok('PUT', `/projects/${project}/environments/${env}/flags/${flag}`, {
      offVariant: 'off',
      prerequisites: [],
      targets: [],
      rules: [],
      ...config,
      version,
    });
  }
}
