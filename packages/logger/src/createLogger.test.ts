import { describe, expect, it } from 'vitest';
import { createLogger } from './createLogger.js';
import { currentRequestId, requestIdPattern, runWithRequestId } from './requestScope.js';

/** A logger whose lines are parsed into an array instead of written to stdout. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('test', {}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, log };
}

const secret = 'do-not-log-0123456789';
const fields = [
  'authorization',
  'auditorToken',
  'bearerToken',
  'accessToken',
  'kek',
  'passphrase',
  'entropy',
  'mnemonic',
  'seed',
  'privateKey',
  'secret',
  'password',
  'xprv',
  'salt',
  'reserveSalt',
  'reserve_salt',
] as const;

describe('createLogger redaction', () => {
  it.each(fields)('redacts %s at the top, one and two levels down', (field) => {
    const { lines, log } = capture();
    log.info({ [field]: secret, nested: { [field]: secret }, deeper: { inner: { [field]: secret } } }, 'event');
    const line = lines[0]!;
    expect(line[field]).toBe('[Redacted]');
    expect(line['nested']).toEqual({ [field]: '[Redacted]' });
    expect(line['deeper']).toEqual({ inner: { [field]: '[Redacted]' } });
    expect(JSON.stringify(line)).not.toContain(secret);
  });

  it('redacts the Authorization and X-Signature request headers', () => {
    const { lines, log } = capture();
    log.info({ req: { method: 'GET', headers: { authorization: `Bearer ${secret}`, 'x-signature': secret, host: 'h' } } }, 'request');
    log.info({ headers: { authorization: `Bearer ${secret}` } }, 'headers');
    expect(lines[0]!['req']).toEqual({ method: 'GET', headers: { authorization: '[Redacted]', 'x-signature': '[Redacted]', host: 'h' } });
    expect(lines[1]!['headers']).toEqual({ authorization: '[Redacted]' });
    expect(JSON.stringify(lines)).not.toContain(secret);
  });

  it('keeps every other field', () => {
    const { lines, log } = capture();
    log.info({ withdrawalId: 'wd_1', auditor: 'alice', nested: { tokenHash: 'ab' }, token: '42' }, 'approved');
    // `token` is a scanner's fencing token (public, and needed to follow a failover), not a credential.
    expect(lines[0]).toMatchObject({
      svc: 'test',
      msg: 'approved',
      withdrawalId: 'wd_1',
      auditor: 'alice',
      nested: { tokenHash: 'ab' },
      token: '42',
    });
  });
});

describe('request ids in log lines', () => {
  it('every line written while a request runs carries its id, through awaits, timers and child loggers', async () => {
    const { lines, log } = capture();
    const child = log.child({ component: 'deep' });
    log.info('before');
    await runWithRequestId('req-1', async () => {
      log.info('start');
      await new Promise((resolve) => setTimeout(resolve, 5));
      child.info({ n: 1 }, 'after an await, from a child');
    });
    await Promise.all([
      runWithRequestId('req-a', async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        log.info('a');
      }),
      runWithRequestId('req-b', async () => log.info('b')),
    ]);
    log.info('after');
    const ids = Object.fromEntries(lines.map((l) => [l['msg'], l['requestId']]));
    expect(ids).toEqual({
      before: undefined,
      start: 'req-1',
      'after an await, from a child': 'req-1',
      a: 'req-a',
      b: 'req-b',
      after: undefined,
    });
    expect(currentRequestId()).toBeUndefined();
  });

  it("a line's own requestId wins, written once", () => {
    const { lines, log } = capture();
    runWithRequestId('outer', () => log.info({ requestId: 'explicit' }, 'x'));
    expect(lines[0]!['requestId']).toBe('explicit');
  });

  it.each([
    ['abc', true],
    ['A-Z_a.z:0-9', true],
    ['x'.repeat(128), true],
    ['', false],
    ['x'.repeat(129), false],
    ['has space', false],
    ['a,b', false],
    ['new\nline', false],
    ['ü', false],
  ])('request id %j well-formed: %s', (id, ok) => {
    expect(requestIdPattern.test(id)).toBe(ok);
  });
});
