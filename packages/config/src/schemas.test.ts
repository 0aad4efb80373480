import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chainHeightsEnv, chainRpcEnv, crashPointsEnv, jsonRecord, refuseCrashPointsInProd } from './index.js';

describe('jsonRecord', () => {
  const limits = jsonRecord(z.string().regex(/^\d+$/), '{"ETH": "10"}');

  it('parses a JSON object of valid values', () => {
    expect(limits.parse('{"ETH": "10", "USDT": "5"}')).toEqual({ ETH: '10', USDT: '5' });
    expect(chainRpcEnv.parse(undefined)).toEqual({ eth: 'http://127.0.0.1:8545' });
  });

  it.each(['not json', '[1]', '{"ETH": 10}', '{"ETH": "ten"}'])('refuses %s with a message showing the expected form', (text) => {
    const result = limits.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('expected JSON like');
  });
});

describe('chain RPC and start heights', () => {
  it('takes EVM and UTXO node URLs, credentials in the URL, and refuses other schemes', () => {
    const both = '{"eth": "http://127.0.0.1:8545", "ltc": "http://wallet:wallet@127.0.0.1:19443"}';
    expect(chainRpcEnv.parse(both)).toEqual({ eth: 'http://127.0.0.1:8545', ltc: 'http://wallet:wallet@127.0.0.1:19443' });
    expect(chainRpcEnv.safeParse('{"ltc": "ftp://127.0.0.1:19443"}').success).toBe(false);
    expect(chainRpcEnv.safeParse('{"ltc": "127.0.0.1:19443"}').success).toBe(false);
  });

  it('takes non-negative integer start heights per chain, none by default', () => {
    expect(chainHeightsEnv.parse(undefined)).toEqual({});
    expect(chainHeightsEnv.parse('{"ltc": 0, "btc": 850000}')).toEqual({ ltc: 0, btc: 850000 });
    for (const bad of ['{"ltc": -1}', '{"ltc": 1.5}', '{"ltc": "10"}']) expect(chainHeightsEnv.safeParse(bad).success).toBe(false);
  });
});

describe('jsonRecord with a key schema', () => {
  const named = jsonRecord(z.string().regex(/^\d+$/, 'values are digits'), '{"a": "1"}', z.string().regex(/^[a-z]+$/, 'keys are a-z'));

  it('checks the keys too', () => {
    expect(named.parse('{"abc": "1"}')).toEqual({ abc: '1' });
    expect(named.safeParse('{"ABC": "1"}').success).toBe(false);
  });

  it('says what is expected, but neither the keys nor the values given', () => {
    const message = named.safeParse('{"Secret-Key": "1", "ok": "secret-value"}').error?.issues[0]?.message ?? '';
    expect(message).toContain('keys are a-z');
    expect(message).toContain('values are digits');
    expect(message).not.toContain('Secret-Key');
    expect(message).not.toContain('secret-value');
  });
});

describe('crash points', () => {
  it('are off unless listed', () => {
    expect(crashPointsEnv.parse(undefined).size).toBe(0);
    expect([...crashPointsEnv.parse('signsrv.after_sign,transrv.rsp.before_commit')]).toEqual([
      'signsrv.after_sign',
      'transrv.rsp.before_commit',
    ]);
    expect(crashPointsEnv.safeParse('rm -rf /').success).toBe(false);
  });

  it('are refused in the prod environment', () => {
    const on = crashPointsEnv.parse('signsrv.after_sign');
    expect(() => refuseCrashPointsInProd({ WALLET_ENV: 'dev', WALLET_CRASH_POINTS: on })).not.toThrow();
    expect(() => refuseCrashPointsInProd({ WALLET_ENV: 'prod', WALLET_CRASH_POINTS: new Set() })).not.toThrow();
    let error: unknown;
    try {
      refuseCrashPointsInProd({ WALLET_ENV: 'prod', WALLET_CRASH_POINTS: on });
    } catch (e) {
      error = e;
    }
    expect(isWalletError(error, 'CONFIG_INVALID')).toBe(true);
  });
});
