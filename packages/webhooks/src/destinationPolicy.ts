import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { WalletError } from '@wallet/errors';

/**
 * Addresses a webhook must never reach in production (SSRF): this host, private networks, link-local (cloud metadata
 * at 169.254.169.254), carrier-grade NAT, benchmarking, documentation, multicast and reserved ranges, and their IPv6
 * counterparts (IPv4-mapped addresses are judged as IPv4).
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is one a production webhook may reach. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blocked.check(ip, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isPublicAddress(mapped[1]!);
  return !blocked.check(ip, 'ipv6');
}

export type DestinationPolicy = {
  /** Dev and tests: loopback and private receivers, and plain http, are allowed. @default false */
  readonly allowPrivate: boolean;
};

const refuse = (message: string, reason: string): WalletError =>
  new WalletError('VALIDATION_FAILED', message, { details: { issues: [{ field: 'body.url', message }], reason } });

/**
 * Checks a webhook URL as given: absolute http(s) (https only in production), no credentials, at most 2,048
 * characters, and a literal IP host must be public in production. A host name is judged when it is resolved, at every
 * delivery ({@link safeLookup}), so a name that later points inside the network is refused then too.
 * @returns the URL, normalised
 * @throws WalletError VALIDATION_FAILED
 */
export function checkWebhookUrl(raw: string, policy: DestinationPolicy): string {
  if (raw.length > 2048) throw refuse('url must be at most 2048 characters', 'too_long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('url must be an absolute http(s) URL', 'malformed');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    throw refuse(policy.allowPrivate ? 'url must be http or https' : 'url must be https', 'scheme');
  }
  if (url.username !== '' || url.password !== '') throw refuse('url must not carry credentials', 'credentials');
  if (url.hash !== '') throw refuse('url must not have a fragment', 'fragment');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    throw refuse('url must not point to a loopback, private or link-local address', 'private_address');
  }
  if (
    !policy.allowPrivate &&
    (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal'))
  ) {
    throw refuse('url must not point to a local name', 'private_address');
  }
  return url.toString();
}

/**
 * A DNS lookup for the delivering HTTP request that refuses non-public addresses in production: the address connected
 * to is the one checked (no window between a check and a second resolution for a rebinding name to exploit).
 */
export function safeLookup(policy: DestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const allowed = policy.allowPrivate ? list : list.filter((a) => isPublicAddress(a.address));
      if (allowed.length === 0) {
        const refused = Object.assign(new Error(`${hostname} resolves only to non-public addresses`), { code: 'EWEBHOOKPRIVATE' });
        return callback(refused, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
