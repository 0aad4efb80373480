import { describe, expect, it } from 'vitest';
import { redactEnvValue } from './redactEnvValue.js';

describe('redactEnvValue', () => {
  it.each([
    'GATESRV_SECRET',
    'DB_PASSWORD',
    'SIGNSRV_PASSPHRASE_FILE',
    'SIGNSRV_KEK_FILE',
    'DEV_MNEMONIC',
    'SEED_HEX',
    'PRIVATE_KEY',
    'API_TOKEN',
    'SIGNSRV_AUDITORS',
  ])('hides the whole value of %s', (name) => {
    expect(redactEnvValue(name, '{"alice": "plaintext-token-0123456789"}')).toBe('***');
  });

  it.each([
    ['mysql://root:hunter2@db.internal/wallet', 'mysql://***@db.internal/…'],
    ['mysql://root:p/w?#@db:3306/wallet?ssl=true', 'mysql://***@db:3306/…'],
    ['mysql://root:with space@db/wallet', 'mysql://***@db/…'],
    ['redis://:hunter2@cache:6379', 'redis://***@cache:6379'],
    ['https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef', 'https://mainnet.infura.io/…'],
    ['https://rpc.example.com/?apikey=0123456789abcdef', 'https://rpc.example.com/…'],
    ['wss://eth.example.com/ws#k=0123456789abcdef', 'wss://eth.example.com/…'],
    ['http://[::1]:8545', 'http://[::1]:8545'],
    ['://root:hunter2@db/wallet', '://***@db/…'],
  ])('shows %s as %s', (value, shown) => {
    expect(redactEnvValue('SOME_URL', value)).toBe(shown);
  });

  it('masks every URL of a list or a JSON object', () => {
    expect(redactEnvValue('ETCD_ENDPOINTS', 'http://a:2379, https://u:hunter2@b:2379/x')).toBe('http://a:2379, https://***@b:2379/…');
    const json = '{"eth": "https://eth.example/v2/0123456789abcdef", "bsc": "https://bsc.example/?key=fedcba9876543210"}';
    const shown = redactEnvValue('WALLET_CHAIN_RPC', json);
    expect(shown).toContain('https://eth.example/…');
    expect(shown).toContain('https://bsc.example/…');
    expect(shown).not.toContain('0123456789abcdef');
    expect(shown).not.toContain('fedcba9876543210');
  });

  it('shows other values as they are, cut after 80 characters', () => {
    expect(redactEnvValue('GATESRV_HTTP_ADDR', 'localhost')).toBe('localhost');
    expect(redactEnvValue('SIGNSRV_LIMITS', 'x'.repeat(80))).toBe('x'.repeat(80));
    expect(redactEnvValue('SIGNSRV_LIMITS', 'x'.repeat(81))).toBe(`${'x'.repeat(80)}…`);
  });
});
