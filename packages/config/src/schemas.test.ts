import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chainRpcEnv, crashPointsEnv, jsonRecord, refuseCrashPointsInProd } from './index.js';

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
