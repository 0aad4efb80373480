import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GrpcStatus, WalletError, errorCodes, errorRegistry, isWalletError, toWalletError } from './index.js';

const apiMd = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
const errorsMd = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

/**
 * The codes and statuses the first contract with clients fixed. docs/api.md may add codes; it may never drop one of
 * these nor give it another status.
 */
const contractFloor: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  IDEMPOTENCY_IN_PROGRESS: 409,
  WITHDRAWAL_NOT_CANCELLABLE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  INSUFFICIENT_FUNDS: 422,
  INVALID_ADDRESS: 422,
  AMOUNT_TOO_SMALL: 422,
  UNSUPPORTED_ASSET: 422,
  UNSUPPORTED_CHAIN: 422,
  RATE_LIMITED: 429,
  SHARD_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * Every code written with its HTTP status in docs/api.md: `` `CODE` 422 `` (the codes table) and `` `422 CODE` ``
 * (in the text).
 */
function codeStatusPairs(markdown: string): [code: string, http: number][] {
  const codeFirst = [...markdown.matchAll(/`([A-Z][A-Z_]+)` (\d{3})\b/g)].map((m) => [m[1]!, Number(m[2])] as [string, number]);
  const statusFirst = [...markdown.matchAll(/`(\d{3}) ([A-Z][A-Z_]+)`/g)].map((m) => [m[2]!, Number(m[1])] as [string, number]);
  return [...codeFirst, ...statusFirst];
}

/** The codes in the last column ("codes beyond the common ones") of docs/api.md's routes table. */
function routeTableCodes(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => /^\| `(GET|POST) \/v1\//.test(line))
    .flatMap((line) => {
      const cells = line.split(' | ');
      return [...(cells[cells.length - 1] ?? '').matchAll(/`(?:\d{3} )?([A-Z][A-Z_]+)`/g)].map((m) => m[1]!);
    });
}
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

  it('contains every code and HTTP status that docs/api.md fixes', () => {
    const fixed = codeStatusPairs(apiMd);
    expect(fixed.length).toBeGreaterThanOrEqual(Object.keys(contractFloor).length);
    for (const [code, http] of fixed) {
      expect(errorRegistry, `docs/api.md names ${code}, which the registry lacks`).toHaveProperty(code);
      expect(errorRegistry[code as keyof typeof errorRegistry].http, `docs/api.md: ${code} ${http}`).toBe(http);
    }
  });

  it('has every code that docs/api.md lists for a route', () => {
    const codes = routeTableCodes(apiMd);
    expect(codes).toContain('INVALID_ADDRESS');
    for (const code of codes) expect(errorRegistry, `docs/api.md routes table names ${code}`).toHaveProperty(code);
  });

  it('docs/api.md still fixes every code and status of the first contract', () => {
    const fixed = codeStatusPairs(apiMd);
    for (const [code, http] of Object.entries(contractFloor)) {
      expect(fixed, `docs/api.md dropped ${code} ${http}`).toContainEqual([code, http]);
      expect(errorRegistry[code as keyof typeof errorRegistry].http, code).toBe(http);
    }
  });

  it('reads code/status pairs in both spellings, so a wrong status in docs/api.md is caught', () => {
    expect(codeStatusPairs('`INSUFFICIENT_FUNDS` 409 and `503 SHARD_UNAVAILABLE`, not `ETH` or 422')).toEqual([
      ['INSUFFICIENT_FUNDS', 409],
      ['SHARD_UNAVAILABLE', 503],
    ]);
    expect(routeTableCodes('| `GET /v1/x` | | y | `ACCOUNT_NOT_FOUND`, `503 UNAVAILABLE` |\n| `VALIDATION_FAILED` 400 | z |')).toEqual([
      'ACCOUNT_NOT_FOUND',
      'UNAVAILABLE',
    ]);
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

  it('a lost connection (a killed MySQL session, a reset socket) becomes a retryable TIMEOUT, not INTERNAL', () => {
    // The shapes mysql2 gives (seen against MariaDB: a plain query whose session is KILLed; knex's failed ROLLBACK).
    const killed = Object.assign(new Error('SELECT 1 - Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      fatal: true,
    });
    const rollback = Object.assign(new Error("ROLLBACK - Can't add new command when connection is in closed state"), { fatal: true });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const mariadbKilled = Object.assign(new Error('Connection was killed'), { errno: 1927 });
    for (const error of [killed, rollback, reset, mariadbKilled]) {
      const wrapped = toWalletError(error);
      expect(wrapped).toMatchObject({ code: 'TIMEOUT', details: { reason: 'connection_lost' } });
      expect(wrapped.httpStatus).toBe(504);
      expect(wrapped.cause).toBe(error);
    }
    // A statement MySQL refused is not a lost connection.
    expect(toWalletError(Object.assign(new Error('Duplicate entry'), { errno: 1062, fatal: false })).code).toBe('INTERNAL');
  });
});
