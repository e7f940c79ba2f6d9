'use server';
/**
 * The targeting page's writes: a direct save (PUT with If-Match = the version the edit started
 * from) and, in an approval-required environment, a change request. Both answer a value the
 * client part shows; neither throws.
 */
import type { FlagConfig } from '@flagship/evaluator';
import { type ApiError, callApi, type Problem, seg } from '../../../../../../../lib/admin-api.ts';
import { requireSession } from '../../../../../../../lib/signed-in.ts';

export type VersionedConfig = FlagConfig & { version: number };

export interface WriteTarget {
  project: string;
  environment: string;
  flag: string;
  /** The version the edit started from. */
  baseVersion: number;
  config: FlagConfig;
}

export type WriteOutcome =
  | { kind: 'saved'; config: VersionedConfig }
  | { kind: 'filed'; id: string; href: string; status: string }
  /** 400/422: problems at paths relative to the config. */
  | { kind: 'invalid'; problems: Problem[]; error: ApiError }
  /** 409 STALE_VERSION: someone saved meanwhile; `current` is what they saved (when it could be read). */
  | { kind: 'stale'; current: VersionedConfig | null; error: ApiError }
  | { kind: 'failed'; error: ApiError };

const envBase = (t: Pick<WriteTarget, 'project' | 'environment'>) =>
  `/projects/${seg(t.project)}/environments/${seg(t.environment)}`;

/** Only the config's own fields: a draft may carry `version` or stray keys from pasted JSON. */
function configBody(c: FlagConfig): FlagConfig {
  const { version: _v, ...rest } = c as VersionedConfig;
  return rest;
}

/** A change request's problems may be named under `config`: the editor's paths are relative to the config. */
function relativeToConfig(problems: Problem[]): Problem[] {
  return problems.map((p) => ({
    ...p,
    path: p.path === 'config' ? '' : p.path.startsWith('config.') ? p.path.slice('config.'.length) : p.path,
  }));
}

async function failure(t: WriteTarget, error: ApiError): Promise<WriteOutcome> {
  if (error.code === 'STALE_VERSION') {
    const current = await callApi<VersionedConfig>(`${envBase(t)}/flags/${seg(t.flag)}`);
    return { kind: 'stale', current: current.ok ? current.data : null, error };
  }
  if ((error.status === 400 || error.status === 422) && error.problems?.length)
    return { kind: 'invalid', problems: relativeToConfig(error.problems), error };
  return { kind: 'failed', error };
}

/** PUT …/flags/:f with If-Match: the base version. */
export async function saveConfig(t: WriteTarget): Promise<WriteOutcome> {
  await requireSession();
  const r = await callApi<VersionedConfig>(`${envBase(t)}/flags/${seg(t.flag)}`, {
    method: 'PUT',
    body: configBody(t.config),
    ifMatch: t.baseVersion,
  });
  if (!r.ok) return failure(t, r.error);
  return { kind: 'saved', config: r.data };
}

/** POST …/change-requests {flag, config, baseVersion, comment}. */
export async function fileConfigChangeRequest(t: WriteTarget & { comment: string }): Promise<WriteOutcome> {
  await requireSession();
  const comment = t.comment.trim();
  const r = await callApi<{ id: string | number; status: string }>(`${envBase(t)}/change-requests`, {
    method: 'POST',
    body: {
      kind: 'config',
      flag: t.flag,
      config: configBody(t.config),
      baseVersion: t.baseVersion,
      ...(comment ? { comment } : {}),
    },
  });
  if (!r.ok) return failure(t, r.error);
  const id = String(r.data.id);
  return { kind: 'filed', id, status: r.data.status, href: `${envBase(t)}/change-requests/${seg(id)}` };
}
