import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, generatePassword, passwordLength } from './passwordPolicy.js';

describe('password policy', () => {
  it('accepts 12 to 200 characters, counted as code points', () => {
    expect(() => checkPasswordPolicy('a'.repeat(12))).not.toThrow();
    expect(() => checkPasswordPolicy('a'.repeat(200))).not.toThrow();
    // 12 emoji are 24 UTF-16 units and 12 characters
    expect(() => checkPasswordPolicy('\u{1F510}'.repeat(12))).not.toThrow();
    expect(() => checkPasswordPolicy('\u{1F510}'.repeat(11))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ reason: 'password_too_short' }) }),
    );
  });

  it('refuses shorter and longer ones', () => {
    expect(() => checkPasswordPolicy('a'.repeat(11))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { reason: 'password_too_short', min: 12 } }),
    );
    expect(() => checkPasswordPolicy('a'.repeat(201))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { reason: 'password_too_long', max: 200 } }),
    );
  });

  it('generates passwords the policy accepts, without look-alike characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
      expect(() => checkPasswordPolicy(p)).not.toThrow();
      seen.add(p);
    }
    expect(seen.size).toBe(200);
    expect(generatePassword(passwordLength.min)).toHaveLength(12);
  });
});
