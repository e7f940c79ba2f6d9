import type { Problem } from '@flagship/evaluator';
import { auditRecord } from '../audit/audit-record.ts';
import { canAccessEnvironment } from '../auth/access.ts';
import type { UnitOfWork } from '../db/unit-of-work.ts';
import { conflict, invalidModel, notFound } from '../errors/domain-errors.ts';
import type { Actor, RequestContext } from '../http/request-context.ts';
import type { KeyRevocations } from '../auth/verified-key-cache.ts';
import { isEvaluatorRole, type ApiKeyRecord, type Role } from './api-key-store.ts';
import { hashApiKey } from '@flagship/evaluator/propagation';
import { generateApiToken } from './api-token.ts';

export interface NewApiKey {
  name: string;
  /** The person the key belongs to: required, not blank (the route answers 400 naming `owner`). */
  owner: string;
  role: Role;
  environments?: string[] | null;
}

/**
 * The owner of the keys the controller makes for itself at start (ADMIN_TOKEN, or the generated
 * first admin key). Whoever holds that token is "bootstrap admin" for self-approval: mint keys
 * with real owners for people, and keep the bootstrap key for setting them up.
 */
export const BOOTSTRAP_OWNER = 'bootstrap admin';

/** API keys: created once (token shown once), listed without tokens, revoked; never edited. */
export class ApiKeyService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly now: () => string,
    /** Told after a revoke commits: the outage key cache forgets the key (auth/verified-key-cache.ts). */
    private readonly revocations: KeyRevocations = { revoked: async () => {} },
  ) {}

  /** The actor behind a presented token, or undefined for an unknown or revoked one. */
  async authenticate(token: string): Promise<Actor | undefined> {
    const key = await this.uow.read((s) => s.apiKeys.findActiveByHash(hashApiKey(token)));
    return key && { keyId: key.id, name: key.name, owner: key.owner, role: key.role, environments: key.environments };
  }

  async list(): Promise<ApiKeyRecord[]> {
    return this.uow.read((s) => s.apiKeys.list());
  }

  async get(id: string): Promise<ApiKeyRecord> {
    const key = await this.uow.read((s) => s.apiKeys.get(id));
    if (!key) throw notFound(`api key ${id}`);
    return key;
  }

  async create(ctx: RequestContext, input: NewApiKey): Promise<ApiKeyRecord & { token: string }> {
    const environments = input.environments ?? null;
    const problems: Problem[] = [];
    const owner = input.owner.trim();
    if (owner.length === 0)
      problems.push({
        path: 'owner',
        message: 'must name the person the key belongs to (a name or an email), not be blank',
      });
    if (isEvaluatorRole(input.role) && (environments === null || environments.length !== 1)) {
      problems.push({ path: 'environments', message: `${articled(input.role)} key names exactly one environment` });
    }
    if (environments !== null && new Set(environments).size !== environments.length) {
      problems.push({ path: 'environments', message: 'lists an environment twice' });
    }
    // A key cannot grant access its creator does not have.
    for (const [i, e] of (environments ?? []).entries()) {
      if (!canAccessEnvironment(ctx.actor, e))
        problems.push({ path: `environments[${i}]`, message: `the creating key may not access ${e}` });
    }
    return this.uow.write(async (s) => {
      for (const [i, e] of (environments ?? []).entries()) {
        if (!(await s.environments.get(e)))
          problems.push({ path: `environments[${i}]`, message: `unknown environment ${e}` });
      }
      if (problems.length > 0) throw invalidModel(problems, 'the key cannot be created');
      const token = generateApiToken(isEvaluatorRole(input.role) ? input.role : 'admin');
      const now = this.now();
      const record = {
        name: input.name,
        role: input.role,
        environments,
        tokenPrefix: token.slice(0, 8),
        owner,
        createdAt: now,
        createdBy: ctx.actor.keyId,
      };
      const id = await s.apiKeys.insert(record, hashApiKey(token));
      const stored: ApiKeyRecord = { ...record, id, revokedAt: null };
      await s.audit.append(
        auditRecord(ctx, now, { action: 'key.create', entityType: 'api-key', entityKey: id, after: stored }),
      );
      // The snapshot lists the key's hash: the evaluators accept it from the next publish.
      if (isEvaluatorRole(input.role)) await s.outbox.append(environments![0]!, 'sdk-key', id, now);
      return { ...stored, token };
    });
  }

  async revoke(ctx: RequestContext, id: string): Promise<ApiKeyRecord> {
    const revoked = await this.uow.write(async (s) => {
      const key = await s.apiKeys.get(id);
      if (!key) throw notFound(`api key ${id}`);
      if (key.revokedAt !== null) throw conflict('ALREADY_REVOKED', `api key ${id} is already revoked`);
      if (key.role === 'admin' && key.environments === null && (await s.apiKeys.countActiveAdmins()) <= 1) {
        // Counted: admins without an environment list, the only keys that can mint keys.
        throw conflict('LAST_ADMIN', 'revoking the last admin key without an environment list would lock everyone out');
      }
      const now = this.now();
      await s.apiKeys.revoke(id, now);
      const after = { ...key, revokedAt: now };
      await s.audit.append(
        auditRecord(ctx, now, { action: 'key.revoke', entityType: 'api-key', entityKey: id, before: key, after }),
      );
      for (const e of isEvaluatorRole(key.role) ? (key.environments ?? []) : [])
        await s.outbox.append(e, 'sdk-key', id, now);
      return after;
    });
    await this.revocations.revoked([id]);
    return revoked;
  }

  /**
   * Makes sure an admin key exists at start: `adminToken` (from ADMIN_TOKEN) is registered if
   * it is not yet; with no token and no admin key, one is created and its token returned once.
   */
  async ensureAdmin(adminToken: string | undefined): Promise<{ createdToken?: string }> {
    const system: RequestContext = {
      actor: { keyId: 'system', name: 'controller', owner: 'controller', role: 'admin', environments: null },
      requestId: 'startup',
    };
    return this.uow.write(async (s) => {
      const now = this.now();
      if (adminToken !== undefined) {
        const hash = hashApiKey(adminToken);
        const existing = await s.apiKeys.findActiveByHash(hash);
        if (existing) return {};
        if (
          (await s.apiKeys.list()).some(
            (k) => k.revokedAt !== null && k.tokenPrefix === adminToken.slice(0, 4) && k.name === 'ADMIN_TOKEN',
          )
        ) {
          throw new Error('ADMIN_TOKEN names a key that was revoked: set a new token');
        }
        const record = {
          name: 'ADMIN_TOKEN',
          role: 'admin' as const,
          environments: null,
          tokenPrefix: adminToken.slice(0, 4),
          owner: BOOTSTRAP_OWNER,
          createdAt: now,
          createdBy: null,
        };
        const id = await s.apiKeys.insert(record, hash);
        await s.audit.append(
          auditRecord(system, now, {
            action: 'key.create',
            entityType: 'api-key',
            entityKey: id,
            after: { ...record, id },
          }),
        );
        return {};
      }
      if ((await s.apiKeys.countActiveAdmins()) > 0) return {};
      const token = generateApiToken('admin');
      const record = {
        name: 'first admin',
        role: 'admin' as const,
        environments: null,
        tokenPrefix: token.slice(0, 8),
        owner: BOOTSTRAP_OWNER,
        createdAt: now,
        createdBy: null,
      };
      const id = await s.apiKeys.insert(record, hashApiKey(token));
      await s.audit.append(
        auditRecord(system, now, {
          action: 'key.create',
          entityType: 'api-key',
          entityKey: id,
          after: { ...record, id },
        }),
      );
      return { createdToken: token };
    });
  }
}

function articled(role: 'sdk' | 'client'): string {
  return role === 'sdk' ? 'an sdk' : 'a client';
}
