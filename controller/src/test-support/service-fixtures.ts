/**
 * What the services' unit tests (`*-service.test.ts`, on the memory stores) share: a fixed clock,
 * the admin who acts, a boolean flag and an enabled config for it, the rows a write leaves behind,
 * and the project `shop` with its environments inserted straight into the stores.
 */
import type { FlagConfig } from '@flagship/evaluator';
import type { Stores } from '../db/stores.ts';
import type { RequestContext } from '../http/request-context.ts';

export const NOW = '2025-03-01T10:00:00.000Z';

/** Key 1, owned by alice, unrestricted admin. */
export const admin: RequestContext = {
  actor: { keyId: '1', name: 'admin key', owner: 'alice', role: 'admin', environments: null },
  requestId: 'req-1',
};

/** A boolean flag whose first variant (so its off variant in a new environment) is `off`. */
export const checkout = {
  key: 'new-checkout',
  type: 'boolean',
  variants: { off: false, on: true },
  salt: '0123456789abcdef0123456789abcdef',
};

/** {@link checkout} enabled, serving `on`. */
export const checkoutOn: FlagConfig = {
  enabled: true,
  offVariant: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  defaultRule: { variant: 'on' },
};

/** Every audit row, and every outbox row as [environment, kind, entity]. */
export async function writtenRows(s: Stores) {
  return {
    audit: await s.audit.query({ limit: 100 }),
    outbox: (await s.outbox.list(100)).map((r) => [r.environmentId, r.kind, r.entityKey]),
  };
}

/** Project `shop` with `shop.dev` and `shop.prod` (prod requires approval), at version 1. */
export async function insertShop(s: Stores): Promise<void> {
  await s.projects.insert({ key: 'shop', name: 'Shop', description: '', version: 1, createdAt: NOW, updatedAt: NOW });
  for (const [key, requireApproval] of [
    ['dev', false],
    ['prod', true],
  ] as const) {
    await s.environments.insert({
      id: `shop.${key}`,
      projectKey: 'shop',
      key,
      name: key,
      requireApproval,
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    });
  }
}
