/**
 * The scenarios' requests in k6 (the npm runner sends the same bytes: scripts/load/request-shapes.ts).
 */
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import {
  contextOf,
  LOAD_ENVIRONMENT,
  LOAD_PROJECT,
  loadFlagConfig,
  loadFlagKey,
  type RequestShape,
} from '../scenarios.ts';

/** POST of an OFREP shape for the iteration's user. */
export function ofrep(
  evaluatorUrl: string,
  sdkKey: string,
  shape: RequestShape,
  iteration: number,
): RefinedResponse<ResponseType | undefined> {
  if (shape.kind !== 'ofrep-single' && shape.kind !== 'ofrep-bulk') throw new Error(`${shape.kind} is not OFREP`);
  const path =
    shape.kind === 'ofrep-single'
      ? `/ofrep/v1/evaluate/flags/${encodeURIComponent(shape.flag)}`
      : '/ofrep/v1/evaluate/flags';
  return http.post(`${evaluatorUrl}${path}`, JSON.stringify({ context: contextOf(iteration % shape.users) }), {
    headers: { authorization: `Bearer ${sdkKey}`, 'content-type': 'application/json' },
    tags: { name: shape.kind },
  });
}

/** GET a load flag's config version, PUT it back with its default variant flipped. */
export function adminWrite(apiUrl: string, adminToken: string, iteration: number, flags: number): number {
  const flag = loadFlagKey(iteration % flags);
  const url = `${apiUrl}/projects/${LOAD_PROJECT}/environments/${LOAD_ENVIRONMENT}/flags/${flag}`;
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const current = http.get(url, { headers, tags: { name: 'admin-get' }, responseType: 'text' });
  if (current.status !== 200) return current.status;
  const body = current.json() as { version: number; defaultRule?: { variant?: string } };
  const next = body.defaultRule?.variant === 'on' ? 'off' : 'on';
  const put = http.put(url, JSON.stringify({ ...loadFlagConfig(next), version: body.version }), {
    headers,
    tags: { name: 'admin-put' },
  });
  return put.status;
}
