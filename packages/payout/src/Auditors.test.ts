import { describe, expect, it } from 'vitest';
import { Auditors } from './Auditors.js';

describe('Auditors', () => {
  const token = 'a-long-enough-auditor-token';
  const auditors = new Auditors({ alice: Auditors.hashToken(token), bob: Auditors.hashToken('bobs-token-0123456789') });

  it('knows an auditor by the token whose hash is configured', () => {
    expect(auditors.authenticate(token)).toBe('alice');
    expect(auditors.authenticate('bobs-token-0123456789')).toBe('bob');
  });

  it.each([undefined, '', 'short', 'a-long-enough-auditor-tokeN', 'x'.repeat(500)])('refuses %j', (bad) => {
    expect(() => auditors.authenticate(bad)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('refuses a configuration that is not a sha256 hex', () => {
    expect(() => new Auditors({ eve: 'plaintext-token' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
