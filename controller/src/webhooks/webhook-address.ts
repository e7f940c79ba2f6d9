/**
 * Which addresses a webhook may reach. A webhook URL is chosen by an admin but fetched by the
 * workers from inside the network, so without a check it reads cloud metadata (169.254.169.254),
 * pokes internal services or the project's own Redis. Loopback, private, link-local,
 * unspecified, shared (CGNAT), documentation, benchmarking, multicast and reserved ranges are
 * refused - for IPv4, IPv6, and IPv4 inside IPv6 (mapped, NAT64) - unless WEBHOOK_ALLOW_HOSTS
 * lists the host name, the address or its range. The workers apply this to every address a
 * name resolves to and then connect to the address they checked (workers/src/webhooks/).
 */
import { BlockList, isIP } from 'node:net';

interface Range {
  cidr: string;
  why: string;
}

const V4: Range[] = [
  { cidr: '0.0.0.0/8', why: 'unspecified ("this network")' },
  { cidr: '10.0.0.0/8', why: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', why: 'shared address space (carrier-grade NAT)' },
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.0.0/16', why: 'link-local (cloud metadata lives here)' },
  { cidr: '172.16.0.0/12', why: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignments' },
  { cidr: '192.0.2.0/24', why: 'documentation' },
  { cidr: '192.88.99.0/24', why: '6to4 relay anycast' },
  { cidr: '192.168.0.0/16', why: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', why: 'benchmarking' },
  { cidr: '198.51.100.0/24', why: 'documentation' },
  { cidr: '203.0.113.0/24', why: 'documentation' },
  { cidr: '224.0.0.0/4', why: 'multicast' },
  { cidr: '240.0.0.0/4', why: 'reserved (and broadcast)' },
];
const V6: Range[] = [
  { cidr: '::/128', why: 'unspecified' },
  { cidr: '::1/128', why: 'loopback' },
  { cidr: '100::/64', why: 'discard-only' },
  { cidr: '2001:db8::/32', why: 'documentation' },
  { cidr: 'fc00::/7', why: 'unique local (private)' },
  { cidr: 'fe80::/10', why: 'link-local' },
  { cidr: 'fec0::/10', why: 'site-local (deprecated private)' },
  { cidr: 'ff00::/8', why: 'multicast' },
];

function blockList(ranges: Range[], type: 'ipv4' | 'ipv6'): Array<{ list: BlockList; why: string }> {
  return ranges.map((r) => {
    const [net, bits] = r.cidr.split('/') as [string, string];
    const list = new BlockList();
    list.addSubnet(net, Number(bits), type);
    return { list, why: r.why };
  });
}
const BLOCKED_V4 = blockList(V4, 'ipv4');
const BLOCKED_V6 = blockList(V6, 'ipv6');

/** The IPv4 address carried inside an IPv6 one (::ffff:a.b.c.d, 64:ff9b::/96, ::a.b.c.d), if any. */
function embeddedV4(ip: string): string | undefined {
  const lower = ip.toLowerCase();
  const dotted = lower.match(/^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) return dotted[1];
  const hex = lower.match(/^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why an IP address is not a public destination, or undefined when it is one. */
export function nonPublicReason(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 4) return BLOCKED_V4.find((b) => b.list.check(ip, 'ipv4'))?.why;
  if (family !== 6) return 'not an IP address';
  const v4 = embeddedV4(ip);
  if (v4 !== undefined) {
    const why = nonPublicReason(v4);
    return why === undefined ? undefined : `${why}, inside IPv6`;
  }
  return BLOCKED_V6.find((b) => b.list.check(ip, 'ipv6'))?.why;
}

/** WEBHOOK_ALLOW_HOSTS, parsed: host names (exact, any case), IP addresses and CIDR ranges. */
export class WebhookAllowList {
  private readonly names = new Set<string>();
  private readonly ranges = new BlockList();
  private empty = true;

  /** Throws with the bad entry named; config.ts turns that into a start-up error. */
  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      const entry = raw
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1');
      if (entry === '') continue;
      this.empty = false;
      const [net, bits, extra] = entry.split('/');
      const family = isIP(net!);
      if (bits !== undefined) {
        const max = family === 4 ? 32 : 128;
        const n = Number(bits);
        if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(bits) || n > max)
          throw new Error(`"${raw}" is not a host, an IP address or a CIDR range`);
        this.ranges.addSubnet(net!, n, family === 4 ? 'ipv4' : 'ipv6');
      } else if (family !== 0) {
        this.ranges.addAddress(net!, family === 4 ? 'ipv4' : 'ipv6');
      } else if (/^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62}\.?)*$/.test(entry)) {
        this.names.add(entry.replace(/\.$/, ''));
      } else {
        throw new Error(`"${raw}" is not a host, an IP address or a CIDR range`);
      }
    }
  }

  /** Parses the comma-separated environment value. */
  static parse(value: string | undefined): WebhookAllowList {
    return new WebhookAllowList((value ?? '').split(','));
  }

  get isEmpty(): boolean {
    return this.empty;
  }

  allowsName(hostname: string): boolean {
    return this.names.has(
      hostname
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1')
        .replace(/\.$/, ''),
    );
  }

  allowsAddress(ip: string): boolean {
    const family = isIP(ip);
    if (family === 0) return false;
    if (this.ranges.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return true;
    const v4 = family === 6 ? embeddedV4(ip) : undefined;
    return v4 !== undefined && this.ranges.check(v4, 'ipv4');
  }
}

/**
 * Why a destination address may not be used for a webhook whose URL names `hostname`, or
 * undefined when it may: public, or allowed by name, address or range.
 */
export function refusedAddress(hostname: string, ip: string, allow: WebhookAllowList): string | undefined {
  if (allow.allowsName(hostname) || allow.allowsAddress(ip)) return undefined;
  const why = nonPublicReason(ip);
  return why === undefined
    ? undefined
    : `${ip} is ${why}; deliveries there are refused unless WEBHOOK_ALLOW_HOSTS lists "${hostname.replace(/^\[(.*)\]$/, '$1')}"`;
}

/**
 * The creation-time check of a URL: a literal IP address (or `localhost`) that would be refused at
 * delivery is refused now, so the admin learns it at once. Names are checked at every delivery,
 * after DNS resolution, because what they resolve to can change.
 */
export function urlHostProblem(url: URL, allow: WebhookAllowList): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) return refusedAddress(host, host, allow);
  const lower = host.toLowerCase().replace(/\.$/, '');
  if ((lower === 'localhost' || lower.endsWith('.localhost')) && !allow.allowsName(lower)) {
    return `${host} is loopback; deliveries there are refused unless WEBHOOK_ALLOW_HOSTS lists "${host}"`;
  }
  return undefined;
}
