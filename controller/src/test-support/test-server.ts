/** A control plane on a private database, listening on a random port, with a fetch helper. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppOptions, type ControlPlane, createControlPlaneOn } from '../app.ts';
import type { Dialect } from '../db/create-database.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789-abcdef'; // 32+ characters, as config.ts requires

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** Sent as is, instead of JSON.stringify(body). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  plane: ControlPlane;
  database: TestDatabase;
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** Creates a key through the API; returns its token and id. The owner defaults to the name. */
  key(
    role: string,
    environments?: string[] | null,
    name?: string,
    owner?: string,
  ): Promise<{ token: string; id: string }>;
  close(): Promise<void>;
}

export async function startTestServer(dialect: Dialect, options: AppOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  const plane = createControlPlaneOn(database.db, { log: () => {}, ...options });
  await plane.services.apiKeys.ensureAdmin(ADMIN_TOKEN);
  const server: Server = await new Promise((resolve) => {
    const s = plane.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 60_000;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? ADMIN_TOKEN : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    url,
    plane,
    database,
    request,
    async key(role, environments = null, name = `${role}-key`, owner = name) {
      const r = await request('POST', '/api/v1/api-keys', { body: { name, owner, role, environments } });
      if (r.status !== 201) throw new Error(`cannot create key: ${r.status} ${r.text}`);
      return { token: r.body.token, id: r.body.id };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await database.drop();
    },
  };
}

/** A boolean flag body. */
export const booleanFlag = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  type: 'boolean',
  variants: { on: true, off: false },
  ...extra,
});

/** A valid config for a boolean flag with variants on/off. */
export const onConfig = (extra: Record<string, unknown> = {}) => ({
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
  ...extra,
});

/** Creates project `p` with environments and returns nothing; fails loudly. */
export async function seedProject(
  t: TestServer,
  project: string,
  envs: Array<{ key: string; requireApproval?: boolean }>,
): Promise<void> {
  const expectStatus = (r: Reply, s: number) => {
    if (r.status !== s) throw new Error(`seed failed: ${r.status} ${r.text}`);
  };
  expectStatus(await t.request('POST', '/api/v1/projects', { body: { key: project } }), 201);
  for (const e of envs)
    expectStatus(await t.request('POST', `/api/v1/projects/${project}/environments`, { body: e }), 201);
}
