import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kekId } from './SecretBox.js';
import { readSecretBox } from './readSecretBox.js';

const dir = mkdtempSync(join(tmpdir(), 'secret-box-'));
const name = 'ACCOUNTSRV_SECRETS_KEK_FILE';
let n = 0;
const file = (content: string): { path: string; name: string } => {
  const path = join(dir, `kek-${n++}`);
  writeFileSync(path, content, { mode: 0o600 });
  return { path, name };
};
const failure = (f: () => unknown): { code?: string; message: string; details?: Record<string, unknown> } => {
  try {
    f();
  } catch (error) {
    return error as { code?: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a failure');
};

describe('readSecretBox', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it("reads signsrv's format: one key of 64 hex characters and a newline", () => {
    expect(readSecretBox(file(`${a.toString('hex')}\n`)).keyIds).toEqual([kekId(a)]);
  });

  it('reads several keys, the first sealing, with comments, blank lines, CRLF and upper case', () => {
    const box = readSecretBox(
      file(`# sealing key, since the last rotation\r\n${b.toString('hex').toUpperCase()}\r\n\r\n# older\n  ${a.toString('hex')}  \n`),
    );
    expect(box.keyIds).toEqual([kekId(b), kekId(a)]);
    expect(box.activeKeyId).toBe(kekId(b));
  });

  it.each([
    ['an empty file', '', 'malformed'],
    ['only comments', '# none\n\n', 'malformed'],
    ['31 bytes', `${a.toString('hex').slice(2)}\n`, 'malformed'],
    ['0x-prefixed', `0x${a.toString('hex')}\n`, 'malformed'],
    ['a named key (id:hex)', `k1:${a.toString('hex')}\n`, 'malformed'],
    ['a good key then a bad line', `${a.toString('hex')}\nnot-a-key\n`, 'malformed'],
    ['the same key twice', `${a.toString('hex')}\n${a.toString('hex').toUpperCase()}\n`, 'duplicate'],
  ])('refuses %s with CONFIG_INVALID naming the variable, never the content', (_, content, problem) => {
    const error = failure(() => readSecretBox(file(content)));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details?.['variables']).toEqual([name]);
    expect(error.details?.['problem']).toBe(problem);
    expect(error.message).toContain(name);
    expect(error.message).not.toContain(a.toString('hex').slice(4, 20));
  });

  it('says which line is wrong', () => {
    expect(failure(() => readSecretBox(file(`# c\n${a.toString('hex')}\nzz\n`))).details?.['line']).toBe(3);
  });

  it('tells a missing file apart', () => {
    const error = failure(() => readSecretBox({ path: join(dir, 'absent'), name }));
    expect(error.details).toEqual({ variables: [name], problem: 'unreadable' });
    expect(error.message).toContain('ENOENT');
  });
});
