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

  it('refuses crash points in prod', () => {
    expect(() => loadConfig({ ...base, SIGNSRV_KEK_FILE: '/k', WALLET_ENV: 'prod', WALLET_CRASH_POINTS: 'signsrv.after_sign' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
