/**
 * The scenarios' OFREP requests as raw HTTP/1.1 bytes, built once before the load starts (the
 * load process only writes them), the same requests the k6 scripts send (k6/lib/requests.ts).
 */
import { contextOf, type RequestShape } from '../../k6/scenarios.ts';

/** Bodies of the shape's requests: one per user, `{"context":{"targetingKey":"user-N","plan":...}}`. */
export function contextBodies(users: number): string[] {
  return Array.from({ length: users }, (_, i) => JSON.stringify({ context: contextOf(i) }));
}

/** The path an OFREP shape posts to. */
export function ofrepPath(shape: RequestShape): string {
  if (shape.kind === 'ofrep-single') return `/ofrep/v1/evaluate/flags/${encodeURIComponent(shape.flag)}`;
  if (shape.kind === 'ofrep-bulk') return '/ofrep/v1/evaluate/flags';
  throw new Error(`${shape.kind} is not an OFREP request`);
}

/** One raw keep-alive POST per user for an OFREP shape. */
export function rawOfrepRequests(shape: RequestShape, host: string, sdkKey: string): Buffer[] {
  if (shape.kind !== 'ofrep-single' && shape.kind !== 'ofrep-bulk') throw new Error(`${shape.kind} is not OFREP`);
  const path = ofrepPath(shape);
  return contextBodies(shape.users).map((body) =>
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${sdkKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
}
