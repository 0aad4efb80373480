import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const base = { SIGNSRV_KEYSTORE_FILE: '/x/keystore.json' };

describe('signsrv configuration', () => {
  it('needs exactly one of a KEK file and a passphrase file', () => {
    expect(loadConfig({ ...base, SIGNSRV_KEK_FILE: '/x/kek.hex' }).SIGNSRV_KEK_FILE).toBe('/x/kek.hex');
    expect(() => loadConfig(base)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/a', SIGNSRV_PASSPHRASE_FILE: '/b' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('parses the operated addresses per chain and role, and refuses malformed ones', () => {
    const cold = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    const config = loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_OPERATED_ADDRESSES: JSON.stringify({ eth: { cold: [cold] } }) });
    expect(config.SIGNSRV_OPERATED_ADDRESSES).toEqual({ eth: { cold: [cold] } });
    expect(loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k' }).SIGNSRV_OPERATED_ADDRESSES).toEqual({});
    for (const bad of [{ eth: { hot: [cold] } }, { eth: { cold: ['0x1234'] } }, { eth: { cold: cold } }]) {
      expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_OPERATED_ADDRESSES: JSON.stringify(bad) })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('parses the sweep policy per EVM chain (thresholds as base-unit strings), and refuses malformed ones', () => {
    const policy = { thresholds: { ETH: '10000000000000000', USDT: '1000000' }, maxInFlight: 5, intervalMs: 1000 };
    const config = loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_SWEEPS: JSON.stringify({ eth: policy }) });
    expect(config.SIGNSRV_SWEEPS).toEqual({ eth: { ...policy, thresholds: { ETH: 10n ** 16n, USDT: 1_000_000n } } });
    expect(loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k' }).SIGNSRV_SWEEPS).toEqual({});
    for (const bad of [
      { thresholds: { ETH: 10 } },
      { thresholds: { ETH: '0' } },
      { thresholds: { ETH: '1.5' } },
      { thresholds: {}, maxInFlight: 0 },
      { thresholds: {}, intervalMs: 10 },
      { thresholds: {}, dust: '1' },
      {},
    ]) {
      expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_SWEEPS: JSON.stringify({ eth: bad }) })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('parses the tiers per asset (cap, floor, cold), and refuses what cannot work', () => {
    const cold = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    const config = loadConfig({
      ...base,
      SIGNSRV_KEK_FILE: '/k',
      SIGNSRV_TIERS: JSON.stringify({ ETH: { cap: '100', floor: '10', cold }, LTC: { floor: '5' } }),
    });
    expect(config.SIGNSRV_TIERS).toEqual({ ETH: { cap: 100n, floor: 10n, cold }, LTC: { floor: 5n } });
    expect(config.SIGNSRV_TREASURY_APPROVALS).toBe(2);
    for (const bad of [
      { ETH: { cap: '100' } }, // a cap without a cold address
      { ETH: { cap: '100', floor: '100', cold } }, // the floor not below the cap
      { ETH: { cap: '-1', cold } },
      { ETH: { cap: 100, cold } },
      { ETH: { ceiling: '1' } },
      { DOGE: { floor: '1' } }, // not an asset of the registry
    ]) {
      expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_TIERS: JSON.stringify(bad) }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
    for (const approvals of ['0', '11', 'two']) {
      expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_TREASURY_APPROVALS: approvals })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('parses the UTXO payout policy per chain, and refuses unknown fields and values out of range', () => {
    const policy = { batchWindowMs: 2000, maxOutputs: 20, maxFeeRate: 50, confTarget: 3, fallbackFeeRate: 5, consolidateBelowFeeRate: 2 };
    const config = loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_UTXO_PAYOUTS: JSON.stringify({ ltc: policy }) });
    expect(config.SIGNSRV_UTXO_PAYOUTS).toEqual({ ltc: policy });
    expect(loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k' }).SIGNSRV_UTXO_PAYOUTS).toEqual({});
    for (const bad of [
      { maxOutputs: 0 },
      { batchWindowMs: -1 },
      { confTarget: 2000 },
      { maxFeeRate: '50' },
      { batch: 1 },
      { buildLockMs: 10 },
    ]) {
      expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_UTXO_PAYOUTS: JSON.stringify({ ltc: bad }) })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('needs a keystore', () => {
    expect(() => loadConfig({ SIGNSRV_KEK_FILE: '/x/kek.hex' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('parses limits, fee caps and auditors, and refuses malformed ones', () => {
    const config = loadConfig({
      ...base,
      SIGNSRV_KEK_FILE: '/k',
      SIGNSRV_LIMITS: '{"ETH": {"perWithdrawal": "1000", "daily": "5000"}}',
      SIGNSRV_MAX_FEE_PER_GAS: '{"eth": "100000000000"}',
      SIGNSRV_AUDITORS: JSON.stringify({ alice: 'a'.repeat(64) }),
    });
    expect(config.SIGNSRV_LIMITS['ETH']).toEqual({ perWithdrawal: 1000n, daily: 5000n });
    expect(config.SIGNSRV_MAX_FEE_PER_GAS['eth']).toBe(100000000000n);
    for (const bad of [
      { SIGNSRV_LIMITS: '{"ETH": {"perWithdrawal": "-1"}}' },
      { SIGNSRV_LIMITS: '{"ETH": {"weekly": "1"}}' },
      { SIGNSRV_MAX_FEE_PER_GAS: '{"eth": "0"}' },
      { SIGNSRV_AUDITORS: '{"alice": "plaintext-token"}' },
      { SIGNSRV_BUMP_AFTER_MS: '10' },
      { SIGNSRV_TYPO: '1' },
    ]) {
      expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', ...bad }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('takes auditor names of 1..64 of [A-Za-z0-9_.-] with 64 lower-case hex token hashes', () => {
    const hash = 'ab'.repeat(32);
    const names = ['alice', 'a', 'Bob.Smith-2_x', 'n'.repeat(64)];
    const config = loadConfig({
      ...base,
      SIGNSRV_KEK_FILE: '/k',
      SIGNSRV_AUDITORS: JSON.stringify(Object.fromEntries(names.map((n) => [n, hash]))),
    });
    expect(Object.keys(config.SIGNSRV_AUDITORS)).toEqual(names);
  });

  // `auditor:<name>` goes into VARCHAR(100) columns and Redis messages capped at 100: a name must fit, and be plain.
  it.each([
    ['an empty name', { '': 'ab'.repeat(32) }],
    ['a 65-character name', { ['n'.repeat(65)]: 'ab'.repeat(32) }],
    ['a name with a space', { 'alice smith': 'ab'.repeat(32) }],
    ['a name with a colon', { 'auditor:alice': 'ab'.repeat(32) }],
    ['a non-ASCII name', { 'al\u00efce': 'ab'.repeat(32) }],
    ['an upper-case hash', { alice: 'AB'.repeat(32) }],
    ['a 63-character hash', { alice: 'a'.repeat(63) }],
    ['a 65-character hash', { alice: 'a'.repeat(65) }],
  ])('refuses an auditor with %s', (_, auditors) => {
    expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_AUDITORS: JSON.stringify(auditors) })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: { variables: ['SIGNSRV_AUDITORS'] } }),
    );
  });

  it('never echoes SIGNSRV_AUDITORS, where plaintext tokens are a common mistake', () => {
    const token = 'plaintext-auditor-token-0123456789';
    let message = '';
    try {
      loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', SIGNSRV_AUDITORS: JSON.stringify({ alice: token, [token]: 'ab'.repeat(32) }) });
    } catch (error) {
      if (isWalletError(error, 'CONFIG_INVALID')) message = error.message;
    }
    expect(message).toContain('SIGNSRV_AUDITORS');
    expect(message).not.toContain(token.slice(0, 12));
  });

  it('refuses crash points in prod', () => {
    // With mTLS set, as prod requires: the refusal is the crash points'.
    const tls = { GRPC_TLS_CA_FILE: '/pki/ca.pem', GRPC_TLS_CERT_FILE: '/pki/signsrv.pem', GRPC_TLS_KEY_FILE: '/pki/signsrv-key.pem' };
    const prod = { ...base, ...tls, SIGNSRV_KEK_FILE: '/k', WALLET_ENV: 'prod' };
    expect(() => loadConfig({ ...prod, WALLET_CRASH_POINTS: 'signsrv.after_sign' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: { variables: ['WALLET_CRASH_POINTS'] } }),
    );
    expect(() => loadConfig(prod)).not.toThrow();
  });
});
