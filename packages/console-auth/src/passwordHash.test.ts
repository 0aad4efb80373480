import { describe, expect, it } from 'vitest';
import { hashPassword, scryptDefaults, verifyPassword } from './passwordHash.js';

describe('hashPassword / verifyPassword (scrypt)', () => {
  it('hashes to a self-describing string with a random salt, and verifies only the same password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies with the parameters the hash names, not the current defaults', async () => {
    const stronger = await hashPassword('a passphrase of mine', { ...scryptDefaults, ln: 16 });
    expect(stronger).toContain('$ln=16,');
    expect(await verifyPassword('a passphrase of mine', stronger)).toBe(true);
  });

  it('normalises to NFC: a composed and a decomposed é are one password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait, merci');
    expect(await verifyPassword('cafe\u0301 au lait, merci', hash)).toBe(true);
  });

  it('refuses hashes it did not write, and parameters out of bounds', async () => {
    const good = await hashPassword('some long password');
    await expect(verifyPassword('x', 'plaintext')).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(verifyPassword('x', good.replace('$scrypt$', '$argon2$'))).rejects.toMatchObject({ code: 'INTERNAL' });
    // ln=25 would take a gigabyte and minutes: a tampered row must not be able to ask for it
    await expect(verifyPassword('x', good.replace('ln=15', 'ln=25'))).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(verifyPassword('x', good.replace('ln=15', 'ln=10'))).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(hashPassword('x', { ln: 15, r: 1, p: 1 })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
