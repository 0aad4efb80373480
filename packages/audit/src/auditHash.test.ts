import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, auditHash } from './auditHash.js';

const row = {
  seq: 42n,
  at: '2026-12-08T10:15:30.123Z',
  actor: 'user:alice',
  action: 'withdrawal_approved',
  subject: 'wd_1',
  details: '{"amount":"1000"}',
  prevHash: GENESIS_HASH,
};

describe('auditHash', () => {
  it('is sha256 over the JSON array [seq, at, actor, action, subject, details, prevHash] (the layout other verifiers rebuild)', () => {
    const layout =
      '["42","2026-12-08T10:15:30.123Z","user:alice","withdrawal_approved","wd_1","{\\"amount\\":\\"1000\\"}","' + '0'.repeat(64) + '"]';
    expect(auditHash(row)).toBe(createHash('sha256').update(layout).digest('hex'));
    // Pinned, so a change of layout cannot pass unnoticed: every stored chain would stop verifying.
    expect(auditHash(row)).toBe('58b54b975925af270addf7daf173b88903d53b1c686d95122850566bd40a627a');
  });

  it('changes with every field, a null subject included', () => {
    const base = auditHash(row);
    const variants = [
      { seq: 43n },
      { at: '2026-12-08T10:15:30.124Z' },
      { actor: 'user:bob' },
      { action: 'withdrawal_rejected' },
      { subject: null },
      { details: '{"amount":"1001"}' },
      { prevHash: '1'.repeat(64) },
    ];
    const hashes = variants.map((v) => auditHash({ ...row, ...v }));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('keeps fields apart: moving a character from one field to the next changes the hash', () => {
    expect(auditHash({ ...row, actor: 'user:alic', action: 'ewithdrawal_approved' })).not.toBe(auditHash(row));
  });
});
