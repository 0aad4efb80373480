import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { WalletError } from '@wallet/errors';

/** Most entries a key's allow-list may have: it names an exchange's offices and servers, not the Internet. */
export const maxAllowListEntries = 32;

/**
 * One allow-list entry in canonical form, `address/prefix` (`10.0.0.0/8`, `2001:db8::/32`). A bare address is a
 * single host (`/32`, `/128`). Host bits below the prefix must be zero (`10.1.0.0/8` is refused rather than guessed).
 */
export type Cidr = { readonly family: 'ipv4' | 'ipv6'; readonly address: string; readonly prefix: number };

/**
 * Reads an operator's allow-list: comma-separated (or listed) CIDRs or addresses, trimmed, duplicates merged.
 * @param input e.g. `10.0.0.0/8, 192.0.2.7`
 * @returns the entries in canonical form; empty for empty input (no allow-list: any source)
 * @throws WalletError VALIDATION_FAILED naming the first bad entry's position, or too many entries
 */
export function parseAllowList(input: string | readonly string[]): Cidr[] {
  const entries = (typeof input === 'string' ? input.split(',') : input).map((s) => s.trim()).filter((s) => s.length > 0);
  const parsed: Cidr[] = [];
  for (const [index, entry] of entries.entries()) {
    const cidr = parseCidr(entry);
    if (cidr === undefined) {
      throw new WalletError(
        'VALIDATION_FAILED',
        `allow-list entry ${index + 1} is not an IPv4 or IPv6 address or CIDR with zero host bits`,
        {
          details: { field: 'allowedCidrs', index },
        },
      );
    }
    if (!parsed.some((p) => formatCidr(p) === formatCidr(cidr))) parsed.push(cidr);
  }
  if (parsed.length > maxAllowListEntries) {
    throw new WalletError('VALIDATION_FAILED', `an allow-list has at most ${maxAllowListEntries} entries`, {
      details: { field: 'allowedCidrs' },
    });
  }
  return parsed;
}

/** `address/prefix`. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** One entry, or undefined when it is not one. */
function parseCidr(entry: string): Cidr | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const prefixText = slash < 0 ? undefined : entry.slice(slash + 1);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (family === undefined) return undefined;
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return undefined;
  const value = toBigInt(address, family);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) return undefined;
  return { family, address: fromBigInt(value, family), prefix };
}

function toBigInt(address: string, family: 'ipv4' | 'ipv6'): bigint {
  if (family === 'ipv4') return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
  // Expand `::` and a trailing dotted IPv4 part into eight 16-bit groups.
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = toBigInt(dotted[1]!, 'ipv4');
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function fromBigInt(value: bigint, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  // RFC 5952: the longest run (of two or more) of zero groups becomes `::`, the first such run on a tie.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/**
 * A key's allow-list as the gateway checks it, built once per cached key. An empty list allows every source. IPv4
 * entries also match the IPv4-mapped IPv6 form a dual-stack socket reports (`::ffff:10.1.2.3`).
 */
export class SourceAllowList {
  readonly #list: BlockList | undefined;
  readonly entries: readonly string[];

  /** @param cidrs entries as {@link parseAllowList} reads them */
  constructor(cidrs: readonly Cidr[]) {
    this.entries = cidrs.map(formatCidr);
    if (cidrs.length === 0) return;
    const list = new BlockList();
    for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
    this.#list = list;
  }

  /**
   * Whether a request from `address` may use the key.
   * @param address the source address (the socket's peer, or the trusted proxies' client)
   */
  allows(address: string | undefined): boolean {
    if (this.#list === undefined) return true;
    if (address === undefined) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.#list.check(mapped[1]!, 'ipv4');
    if (isIPv4(address)) return this.#list.check(address, 'ipv4');
    if (isIPv6(address)) return this.#list.check(address, 'ipv6');
    return false;
  }
}
