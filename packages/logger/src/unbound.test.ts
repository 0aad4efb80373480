import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { unbound } from './unbound.js';

describe('unbound', () => {
  it('drops the fields a child logger already carries with the same value, so each key is written once', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ base: null, timestamp: false }, sink).child({ component: 'payouts', chain: 'ltc' });
    log.info({ ...unbound(log, { chain: 'ltc', txid: 'ab' }) }, 'x');
    log.info({ ...unbound(log, { chain: 'eth' }) }, 'y');
    expect(lines[0]).toBe('{"level":30,"component":"payouts","chain":"ltc","txid":"ab","msg":"x"}\n');
    // bound to another value: kept (the reader sees both)
    expect(lines[1]).toContain('"chain":"ltc","chain":"eth"');
  });
});
