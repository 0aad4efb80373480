import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode } from './base32.js';
import { type TotpAlgorithm, generateTotpSecret, hotp, otpauthUri, totpCode, totpStep, verifyTotp } from './totp.js';
import vectors from './vectors/totp.json' with { type: 'json' };

type Vector = (typeof vectors.valid)[number];
const ofKind = (kind: string) => vectors.valid.filter((v: Vector) => v.kind === kind);
const rfcSecret = base32Encode(Buffer.from('12345678901234567890'));

describe('TOTP, RFC 6238 Appendix B (8 digits)', () => {
  it.each(ofKind('totp'))('$description', (v) => {
    const secret = base32Encode(Buffer.from(v.seedAscii!));
    const timeMs = v.unixTime! * 1000;
    expect(totpStep(timeMs).toString(16).toUpperCase().padStart(16, '0')).toBe(v.stepHex);
    expect(totpCode(secret, timeMs, { digits: v.digits!, algorithm: v.algorithm as TotpAlgorithm })).toBe(v.code);
  });

  it('has every row of the table: 6 times x 3 HMACs', () => {
    expect(ofKind('totp')).toHaveLength(18);
  });
});

describe('HOTP, RFC 4226 Appendix D (6 digits)', () => {
  it.each(ofKind('hotp'))('$description', (v) => {
    expect(hotp(Buffer.from(v.seedAscii!), v.counter!, v.digits)).toBe(v.code);
  });

  it('a 6-digit TOTP is the last six digits of the RFC 6238 8-digit value', () => {
    for (const v of ofKind('totp').filter((x) => x.algorithm === 'sha1')) {
      expect(totpCode(rfcSecret, v.unixTime! * 1000)).toBe(v.code.slice(2));
    }
  });
});

describe('verifyTotp (6 digits, ±1 step, each code once)', () => {
  it.each(ofKind('verify'))('accepts $description', (v) => {
    expect(verifyTotp(rfcSecret, v.code, v.unixTime! * 1000, { lastStep: v.lastStep ?? null })).toBe(v.step);
  });

  it.each(vectors.invalid)('refuses $description', (v) => {
    expect(verifyTotp(rfcSecret, v.code, v.unixTime * 1000, { lastStep: v.lastStep })).toBeNull();
  });

  it('a window of 0 accepts only the current step', () => {
    expect(verifyTotp(rfcSecret, '359152', 89_000, { window: 0 })).toBe(2);
    expect(verifyTotp(rfcSecret, '287082', 89_000, { window: 0 })).toBeNull();
  });
});

describe('enrollment', () => {
  it('generates 20 random bytes in base32', () => {
    const a = generateTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(a)).toHaveLength(20);
    expect(generateTotpSecret()).not.toBe(a);
  });

  it('builds the otpauth URI authenticator apps scan', () => {
    const uri = otpauthUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', account: 'alice', issuer: 'Wallet console' });
    expect(uri).toBe(
      'otpauth://totp/Wallet%20console:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Wallet%20console&algorithm=SHA1&digits=6&period=30',
    );
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });
});
