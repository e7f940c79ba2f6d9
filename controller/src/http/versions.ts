import type { Request, Response } from 'express';
import { badRequest, VersionRequiredError } from '../errors/domain-errors.ts';

/**
 * The version a write is based on, from `If-Match: "<n>"` or a body `version`. Neither: 428.
 * Both: they must agree. A stale version is detected later, inside the transaction (409).
 */
export function expectedVersion(req: Request, bodyVersion: unknown): number {
  const header = req.headers['if-match'];
  let fromHeader: number | undefined;
  if (header !== undefined) {
    const m = /^\s*(?:W\/)?"?([0-9]{1,12})"?\s*$/.exec(header);
    if (!m)
      throw badRequest(
        'If-Match must be a version ETag such as "3"',
        [{ path: 'header.if-match', message: 'must be "<version>"' }],
        'INVALID_IF_MATCH',
      );
    fromHeader = Number(m[1]);
  }
  if (bodyVersion !== undefined && !(Number.isSafeInteger(bodyVersion) && (bodyVersion as number) >= 1)) {
    throw badRequest('version must be a positive integer', [
      { path: 'version', message: 'must be a positive integer' },
    ]);
  }
  const fromBody = bodyVersion as number | undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw badRequest(
      'If-Match and body version disagree',
      [{ path: 'version', message: `If-Match says ${fromHeader}` }],
      'VERSION_MISMATCH',
    );
  }
  const v = fromHeader ?? fromBody;
  if (v === undefined)
    throw new VersionRequiredError(
      'VERSION_REQUIRED',
      'send If-Match: "<version>" or a version field: the version your change is based on',
    );
  return v;
}

export const setEtag = (res: Response, version: number): void => {
  res.set('ETag', `"${version}"`);
};
