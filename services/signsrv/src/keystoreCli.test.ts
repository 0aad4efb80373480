import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { accountXpubFromMnemonic } from '@wallet/keys';
import { SeedVault, evmHotWalletPath, evmSigner, openKeystore, parseKek } from '@wallet/signer';
import { afterAll, describe, expect, it } from 'vitest';
import { runKeystoreCli } from './keystoreCli.js';

const dir = mkdtempSync(join(tmpdir(), 'signsrv-keystore-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (name: string) => join(dir, `${++n}-${name}`);
const kekHex = randomBytes(32).toString('hex');
const kekFile = path('kek.hex');
writeFileSync(kekFile, `${kekHex}\n`, { mode: 0o600 });

/** Runs the tool in-process with the dev registry (WALLET_ASSETS unset). */
function run(...argv: string[]): { code: number; out: string[]; err: string[]; text: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runKeystoreCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out, err, text: [...out, ...err].join('\n') };
}

/** The `key: value` lines of the output, and ACCOUNTSRV_XPUBS parsed. */
function report(out: string[]): { fingerprint: string; hotWallet: string; xpubs: Record<string, string> } {
  const line = (prefix: string) => out.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? '';
  return {
    fingerprint: line('fingerprint: '),
    hotWallet: line('hot wallet: ').split(' ')[0]!,
    xpubs: JSON.parse(line('ACCOUNTSRV_XPUBS=') || '{}') as Record<string, string>,
  };
}

const mode = (file: string) => statSync(file).mode & 0o777;
const registry = AssetRegistry.parse(devRegistryInput);

describe('signsrv keystore tool', () => {
  it('creates a keystore (mode 600) with a fresh 24-word seed, and prints its fingerprint, hot wallet and xpubs', () => {
    const out = path('keystore.json');
    const words = path('mnemonic.txt');
    const created = run('create', '--out', out, '--kek-file', kekFile, '--mnemonic-out', words);
    expect(created.code, created.text).toBe(0);
    expect(mode(out)).toBe(0o600);
    expect(mode(words)).toBe(0o600);

    // The mnemonic went to its file only.
    const mnemonic = readFileSync(words, 'utf8').trim();
    expect(mnemonic.split(' ')).toHaveLength(24);
    const phrase = mnemonic.split(' ');
    for (let i = 0; i + 1 < phrase.length; i++) expect(created.text).not.toContain(`${phrase[i]} ${phrase[i + 1]}`);

    // What it printed is what the keystore and the mnemonic hold, derived independently of the tool.
    const entropy = mnemonicToEntropy(mnemonic, wordlist);
    const vault = openKeystore(JSON.parse(readFileSync(out, 'utf8')) as unknown, { kek: parseKek(kekHex) });
    const shown = report(created.out);
    expect(shown.fingerprint).toBe(vault.fingerprint);
    expect(shown.fingerprint).toBe(new SeedVault(entropy).fingerprint);
    expect(shown.hotWallet).toBe(vault.signer(evmSigner, evmHotWalletPath).address);
    expect(shown.xpubs).toEqual(
      Object.fromEntries(
        [...registry.chains.values()].map((c) => [c.id, accountXpubFromMnemonic({ chain: c.family, network: c.network, mnemonic })]),
      ),
    );

    // `show` prints the same.
    const again = run('show', out, '--kek-file', kekFile);
    expect(again.code, again.text).toBe(0);
    expect(report(again.out)).toEqual(shown);
  });

  it('seals a new seed every time, and without --mnemonic-out writes no mnemonic anywhere', () => {
    const [a, b] = [path('a.json'), path('b.json')];
    expect(run('create', '--out', a, '--kek-file', kekFile).code).toBe(0);
    const second = run('create', '--out', b, '--kek-file', kekFile);
    expect(second.code).toBe(0);
    expect(second.out.some((l) => l.startsWith('mnemonic'))).toBe(false);
    expect(report(run('show', a, '--kek-file', kekFile).out).fingerprint).not.toBe(report(second.out).fingerprint);
  });

  it('seals with a passphrase file', () => {
    const out = path('keystore.json');
    const passphraseFile = path('passphrase');
    writeFileSync(passphraseFile, 'a long enough passphrase\n', { mode: 0o600 });
    const created = run('create', '--out', out, '--passphrase-file', passphraseFile);
    expect(created.code, created.text).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kdf: { name: 'scrypt', N: 2 ** 17, r: 8 } });
    expect(report(run('show', out, '--passphrase-file', passphraseFile).out)).toEqual(report(created.out));
    // scrypt at N = 2^17 twice: seconds of CPU on a busy 2-core machine.
  }, 30_000);

  it('never overwrites a file', () => {
    const out = path('keystore.json');
    writeFileSync(out, 'the only copy of a seed');
    expect(run('create', '--out', out, '--kek-file', kekFile).code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('the only copy of a seed');

    const words = path('mnemonic.txt');
    writeFileSync(words, 'an earlier backup');
    const fresh = path('keystore.json');
    expect(run('create', '--out', fresh, '--kek-file', kekFile, '--mnemonic-out', words).code).toBe(1);
    expect(readFileSync(words, 'utf8')).toBe('an earlier backup');
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses a short passphrase, a malformed KEK file and a wrong KEK, saying nothing secret', () => {
    const short = path('short');
    writeFileSync(short, 'too short\n');
    const refusedShort = run('create', '--out', path('x.json'), '--passphrase-file', short);
    expect(refusedShort.code).toBe(1);
    expect(refusedShort.err.join('\n')).toContain('CONFIG_INVALID');
    expect(refusedShort.text).not.toContain('too short');

    const badKek = path('bad-kek');
    writeFileSync(badKek, `${kekHex.slice(0, 60)}zzzz`);
    const refusedKek = run('create', '--out', path('y.json'), '--kek-file', badKek);
    expect(refusedKek.code).toBe(1);
    expect(refusedKek.text).not.toContain(kekHex.slice(0, 16));

    const out = path('keystore.json');
    expect(run('create', '--out', out, '--kek-file', kekFile).code).toBe(0);
    const wrongKek = path('wrong-kek');
    const wrongHex = randomBytes(32).toString('hex');
    writeFileSync(wrongKek, wrongHex);
    const refusedShow = run('show', out, '--kek-file', wrongKek);
    expect(refusedShow.code).toBe(1);
    expect(refusedShow.err.join('\n')).toContain('CONFIG_INVALID');
    expect(refusedShow.text).not.toContain(wrongHex.slice(0, 16));
    expect(refusedShow.text).not.toContain(kekHex.slice(0, 16));
  });

  it.each([
    [[]],
    [['create', '--kek-file', 'k']],
    [['create', '--out', 'o']],
    [['create', '--out', 'o', '--kek-file', 'k', '--passphrase-file', 'p']],
    [['show', '--kek-file', 'k']],
    [['show', 'a', 'b', '--kek-file', 'k']],
    [['show', 'a', '--kek-file', 'k', '--mnemonic-out', 'm']],
    [['create', '--out', 'o', '--kek-file', 'k', '--mnemonic', 'm']],
    [['rotate']],
  ])('exits 2 with the usage for %j', (argv) => {
    const result = run(...argv);
    expect(result.code).toBe(2);
    expect(result.err.join('\n')).toContain('create --out FILE');
  });
});
