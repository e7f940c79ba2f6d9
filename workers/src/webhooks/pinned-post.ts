/**
 * One POST to a webhook URL, made safe to aim at a URL someone else chose:
 * - the host name is resolved first and EVERY address it resolves to must be public or allowed
 *   by WEBHOOK_ALLOW_HOSTS (controller/src/webhooks/webhook-address.ts);
 * - the connection then goes to the address that was checked (the socket's lookup is pinned to
 *   it), so a DNS answer that changes between check and connect (rebinding) cannot redirect it;
 *   TLS still verifies the certificate against the host name;
 * - redirects are not followed; the response body is read up to {@link MAX_RESPONSE_BYTES} and
 *   the socket is dropped after that; the whole exchange has one deadline.
 */
import { refusedAddress, type WebhookAllowList } from '@flagship/controller';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

/** A receiver answers "ok" or a short error; 16 KiB is plenty and bounds a hostile endless body. */
export const MAX_RESPONSE_BYTES = 16 * 1024;

export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/** Refused before any byte was sent: not worth retrying (the allow list or DNS must change). */
export class RefusedDestination extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedDestination';
  }
}

export interface PostAnswer {
  status: number;
  /** At most MAX_RESPONSE_BYTES of the body, as text. */
  body: string;
  truncated: boolean;
  /** The address connected to. */
  address: string;
}

/** Resolves and checks; returns the address to connect to, or throws {@link RefusedDestination}. */
export async function checkedAddress(
  url: URL,
  allow: WebhookAllowList,
  resolve: Resolve = systemResolve,
): Promise<LookupAddress> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: LookupAddress[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      // Not a refusal: a DNS failure may pass; BullMQ retries it.
      throw new Error(`cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (addresses.length === 0) throw new Error(`${host} resolves to no address`);
  for (const a of addresses) {
    const refused = refusedAddress(host, a.address, allow);
    if (refused !== undefined) throw new RefusedDestination(`refused ${url.origin}: ${refused}`);
  }
  return addresses[0]!;
}

export async function pinnedPost(
  url: URL,
  headers: Record<string, string>,
  body: string,
  o: { allow: WebhookAllowList; timeoutMs: number; resolve?: Resolve },
): Promise<PostAnswer> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RefusedDestination(`refused ${url.href}: only http and https`);
  const target = await checkedAddress(url, o.allow, o.resolve);
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: LookupAddress[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostAnswer>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, answer?: PostAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(answer!);
    };
    const req = send(
      url,
      {
        method: 'POST',
        lookup: pinned,
        agent: false,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          const room = MAX_RESPONSE_BYTES - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            size = MAX_RESPONSE_BYTES;
            truncated = true;
            // The answer we need (the status) is in; the rest of an endless body is not read.
            finish(undefined, {
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              truncated,
              address: target.address,
            });
            req.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
            address: target.address,
          }),
        );
        res.on('error', (e) => finish(e));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`webhook ${url.origin} did not answer within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    req.on('error', (e) => finish(e));
    req.end(body);
  });
}
