import type { Request, Response } from 'express';
import type { Role } from '../api-keys/api-key-store.ts';

/** Who is calling: the authenticated key. */
export interface Actor {
  keyId: string;
  name: string;
  /** The person behind the key: every key of one person has the same owner. */
  owner: string;
  role: Role;
  /** Environment ids the key is limited to; null = all. */
  environments: string[] | null;
}

/** What every service call carries: the actor (for access and audit) and the request id. */
export interface RequestContext {
  actor: Actor;
  requestId: string;
}

/** The context the auth middleware stored on the response. */
export function contextOf(_req: Request, res: Response): RequestContext {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('route reached without authentication');
  return { actor, requestId: res.locals.requestId as string };
}
