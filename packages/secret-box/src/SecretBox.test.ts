import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_PLAINTEXT_BYTES, SecretBox, kekId } from './SecretBox.js';

type Vectors = {
  valid: { kek: string; keyId: string; context: string; plaintext: string; sealed: string }[];
  invalid: { description: string; kek: string; context: string; sealed: string; reason: string }[];
};
const vectors = JSON.parse(readFileSync(new URL('./vectors/envelope.json', import.meta.url), 'utf8')) as Vectors;
const kek = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const failure = (f: () => unknown): { code?: string; details?: Record<string, unknown>; message?: string } => {
  try {
    f();
  } catch (error) {
    return error as { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a failure');
};

describe('SecretBox', () => {
  it.each(vectors.valid)('opens the vector sealed for $context (computed outside, see vectors/README.md)', (v) => {
    expect(kekId(kek(v.kek))).toBe(v.keyId);
    const box = SecretBox.fromKeks([kek(v.kek)]);
    expect(box.activeKeyId).toBe(v.keyId);
    expect(box.open(v.sealed, v.context)).toBe(v.plaintext);
    expect(box.keyIdOf(v.sealed)).toBe(v.keyId);
  });

  it.each(vectors.invalid)('refuses $description with SECRET_UNREADABLE ($reason)', (v) => {
    const box = SecretBox.fromKeks([kek(v.kek)]);
    const error = failure(() => box.open(v.sealed, v.context));
    expect(error.code).toBe('SECRET_UNREADABLE');
    expect(error.details?.['reason']).toBe(v.reason);
    // The value is never part of the error.
    expect(JSON.stringify({ m: error.message, d: error.details })).not.toContain(v.sealed.split('.').at(-1));
  });

  it('round-trips with a fresh nonce every time, bound to its context', () => {
    const box = SecretBox.fromKeks([randomBytes(32)]);
    const a = box.seal('s3cret', 'client_keys:key_a');
    const b = box.seal('s3cret', 'client_keys:key_a');
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    expect(a).toMatch(/^sb1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('s3cret');
    expect(box.open(a, 'client_keys:key_a')).toBe('s3cret');
    expect(failure(() => box.open(a, 'client_keys:key_b')).details?.['reason']).toBe('auth_failed');
    expect(failure(() => box.open(a, 'webhook_endpoints:key_a')).details?.['reason']).toBe('auth_failed');
  });

  it('fits the longest secret in a VARCHAR(255) column and refuses a longer one', () => {
    const box = SecretBox.fromKeks([randomBytes(32)]);
    expect(box.seal('x'.repeat(MAX_PLAINTEXT_BYTES), 'c').length).toBeLessThanOrEqual(255);
    expect(failure(() => box.seal('x'.repeat(MAX_PLAINTEXT_BYTES + 1), 'c')).code).toBe('INTERNAL');
  });

  it('rotates: the first key seals, every key opens, rewrap moves a value to the first key', () => {
    const [oldKek, newKek] = [randomBytes(32), randomBytes(32)];
    const before = SecretBox.fromKeks([oldKek]);
    const sealed = before.seal('v', 'ctx');
    // Phase one: the new key is added after the old one (opens only); phase two: it moves first (seals).
    const adding = SecretBox.fromKeks([oldKek, newKek]);
    expect(adding.activeKeyId).toBe(before.activeKeyId);
    const rotated = SecretBox.fromKeks([newKek, oldKek]);
    expect(rotated.keyIds).toEqual([kekId(newKek), kekId(oldKek)]);
    expect(rotated.open(sealed, 'ctx')).toBe('v');
    const rewrapped = rotated.rewrap(sealed, 'ctx');
    expect(rotated.keyIdOf(rewrapped)).toBe(kekId(newKek));
    expect(rotated.rewrap(rewrapped, 'ctx')).toBe(rewrapped);
    // The old key can go: what was rewrapped opens without it, what was not does not.
    const after = SecretBox.fromKeks([newKek]);
    expect(after.open(rewrapped, 'ctx')).toBe('v');
    expect(failure(() => after.open(sealed, 'ctx')).details).toEqual({ reason: 'unknown_key', keyId: kekId(oldKek) });
    // A rewrap under the wrong context fails instead of laundering a copied value.
    expect(failure(() => rotated.rewrap(sealed, 'other')).details?.['reason']).toBe('auth_failed');
  });

  it('refuses no key, a short key and the same key twice', () => {
    const k = randomBytes(32);
    expect(failure(() => SecretBox.fromKeks([])).code).toBe('CONFIG_INVALID');
    expect(failure(() => SecretBox.fromKeks([k.subarray(1)])).code).toBe('CONFIG_INVALID');
    expect(failure(() => SecretBox.fromKeks([k, Buffer.from(k)])).code).toBe('CONFIG_INVALID');
  });
});
