import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, WalletError, errorCodes, errorRegistry, isWalletError, toWalletError } from './index.js';

const apiMd = readFileSync(new URL('../../../../shared/API.md', import.meta.url), 'utf8');
const errorsMd = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const grpcValues = new Set<number>(Object.values(GrpcStatus));

describe('error registry', () => {
  it.each(errorCodes)('%s maps to an HTTP status, a gRPC status and a description', (code) => {
    const spec = errorRegistry[code];
    expect(spec.http).toBeGreaterThanOrEqual(400);
    expect(spec.http).toBeLessThan(600);
    expect(grpcValues.has(spec.grpc)).toBe(true);
    expect(spec.grpc).not.toBe(GrpcStatus.OK);
    expect(spec.description.length).toBeGreaterThan(10);
  });

  it.each(errorCodes)('%s is documented in docs/errors.md with its statuses', (code) => {
    const spec = errorRegistry[code];
    const row = errorsMd.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${spec.http} |`);
    const grpcName = Object.entries(GrpcStatus).find(([, v]) => v === spec.grpc)?.[0];
    expect(row).toContain(`| ${grpcName} |`);
  });

  it('contains every code and HTTP status that shared/API.md fixes', () => {
    const fixed = [...apiMd.matchAll(/`([A-Z_]+)` (\d{3})/g)].map((m) => [m[1], Number(m[2])] as const);
    expect(fixed.length).toBeGreaterThanOrEqual(15);
    for (const [code, http] of fixed) {
      expect(errorRegistry, code).toHaveProperty(code as string);
      expect(errorRegistry[code as keyof typeof errorRegistry].http, code).toBe(http);
    }
  });
});

describe('WalletError', () => {
  it('is recognised structurally, not by prototype', () => {
    const rebuilt = { name: 'WalletError', code: 'INSUFFICIENT_FUNDS', message: 'x' };
    expect(isWalletError(rebuilt)).toBe(true);
    expect(isWalletError(rebuilt, 'INSUFFICIENT_FUNDS')).toBe(true);
    expect(isWalletError(rebuilt, 'NOT_FOUND')).toBe(false);
    expect(isWalletError({ name: 'WalletError', code: 'NO_SUCH_CODE' })).toBe(false);
    expect(isWalletError(new Error('x'))).toBe(false);
  });

  it('renders the HTTP error body and hides foreign messages', () => {
    const e = new WalletError('AMOUNT_TOO_SMALL', 'below minimum', { details: { min: '10' } });
    expect(e.toJSON()).toEqual({ error: { code: 'AMOUNT_TOO_SMALL', message: 'below minimum', details: { min: '10' } } });
    expect(e.httpStatus).toBe(422);
    const wrapped = toWalletError(new Error('password=hunter2'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).not.toContain('hunter2');
    expect(wrapped.cause).toBeInstanceOf(Error);
  });
});
