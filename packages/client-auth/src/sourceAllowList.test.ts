import { describe, expect, it } from 'vitest';
import { KeyScope, knownKeyScopes, parseKeyScopes } from './keyScopes.js';
import { SourceAllowList, formatCidr, maxAllowListEntries, parseAllowList } from './sourceAllowList.js';

const canonical = (input: string) => parseAllowList(input).map(formatCidr);

describe('parseAllowList', () => {
  it('reads CIDRs and bare addresses into canonical form, merging duplicates', () => {
    expect(canonical(' 10.0.0.0/8, 192.0.2.7 ,10.0.0.0/8')).toEqual(['10.0.0.0/8', '192.0.2.7/32']);
    expect(canonical('2001:DB8:0:0::/32,::1,0.0.0.0/0,::/0')).toEqual(['2001:db8::/32', '::1/128', '0.0.0.0/0', '::/0']);
    expect(canonical('2001:db8:0:0:1:0:0:0/128')).toEqual(['2001:db8:0:0:1::/128']);
    expect(canonical('2001:db8:0:0:1:0:0:1')).toEqual(['2001:db8::1:0:0:1/128']);
    expect(canonical('::ffff:10.0.0.0/104')).toEqual(['::ffff:a00:0/104']);
    expect(canonical('')).toEqual([]);
  });

  it.each([
    '10.1.0.0/8',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0/8',
    'ten',
    '10.0.0.0/8/8',
    '::1/129',
    'fe80::1%eth0',
    '10.0.0.0/+8',
    '10.0.0.256',
  ])('refuses %j as VALIDATION_FAILED', (entry) => {
    expect(() => parseAllowList(`127.0.0.1,${entry}`)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ index: 1 }) }),
    );
  });

  it(`refuses more than ${maxAllowListEntries} entries`, () => {
    const many = Array.from({ length: maxAllowListEntries + 1 }, (_, i) => `10.0.${i}.0/24`).join(',');
    expect(() => parseAllowList(many)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('SourceAllowList', () => {
  it('allows every source when empty', () => {
    expect(new SourceAllowList([]).allows('203.0.113.9')).toBe(true);
  });

  it('allows addresses inside an entry only, IPv4-mapped IPv6 as IPv4', () => {
    const office = new SourceAllowList(parseAllowList('10.0.0.0/8,2001:db8::/32'));
    expect(office.allows('10.200.3.4')).toBe(true);
    expect(office.allows('::ffff:10.200.3.4')).toBe(true);
    expect(office.allows('2001:db8:1::5')).toBe(true);
    expect(office.allows('127.0.0.1')).toBe(false);
    expect(office.allows('::ffff:127.0.0.1')).toBe(false);
    expect(office.allows('11.0.0.1')).toBe(false);
    expect(office.allows('2001:db9::1')).toBe(false);
    expect(office.allows(undefined)).toBe(false);
    expect(office.allows('not-an-address')).toBe(false);
    expect(new SourceAllowList(parseAllowList('127.0.0.0/8')).allows('127.0.0.1')).toBe(true);
  });
});

describe('key scopes', () => {
  it('reads a list of names, in a fixed order, duplicates merged', () => {
    expect(parseKeyScopes('withdraw, read,read')).toEqual([KeyScope.read, KeyScope.withdraw]);
    expect(parseKeyScopes(['transfer'])).toEqual(['transfer']);
  });

  it.each(['', ' , ', 'read,admin', 'READ'])('refuses %j', (input) => {
    expect(() => parseKeyScopes(input)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('drops names it does not know from a stored record (grants nothing for them)', () => {
    expect(knownKeyScopes(['read', 'admin', 'withdraw'])).toEqual(['read', 'withdraw']);
  });
});
