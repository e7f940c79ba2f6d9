import { describe, expect, it } from 'vitest';
import { adminRoutes, type Services } from '../app.ts';
import { MapPolicyCatalog } from '../rollouts/policy-catalog.ts';
import { checkDeclaration, type Route, routerOf } from './route.ts';

// The handlers are never called here: the declarations are read, not served.
const routes = adminRoutes({} as Services, { policies: new MapPolicyCatalog(new Map()) });

describe('route declarations', () => {
  it('give every admin route a role on the ladder and a known scope, once per method and path', () => {
    for (const r of routes) expect(() => checkDeclaration(r), `${r.method} ${r.path}`).not.toThrow();
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuse to serve a route that declares no access', () => {
    const { access: _a, ...bare } = routes.find((r) => r.path === '/api/v1/webhooks' && r.method === 'post')!;
    expect(() => routerOf([bare as Route])).toThrow('route POST /api/v1/webhooks declares no valid access');
    const wrongRole = { ...bare, access: { role: 'owner', scope: 'any' } } as unknown as Route;
    expect(() => routerOf([wrongRole])).toThrow('declares no valid access');
  });
});
