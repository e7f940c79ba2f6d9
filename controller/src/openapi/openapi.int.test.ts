import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';
import { expressRoutes } from '../http/route-table.ts';

describe('OpenAPI document', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => t?.close());

  it('lists exactly the routes express serves, and express serves exactly what it lists', async () => {
    const r = await t.request('GET', '/api/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    const documented = Object.entries(r.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
      )
      .sort();
    const served = expressRoutes(t.plane.app);
    expect(served.length).toBeGreaterThan(30);
    expect(served.filter((x) => !documented.includes(x))).toEqual([]);
    expect(documented.filter((x) => !served.includes(x))).toEqual([]);
  });

  it('needs a key like every other route', async () => {
    expect((await t.request('GET', '/api/v1/openapi.json', { token: null })).status).toBe(401);
  });
});
