import { eventTypes } from '@wallet/events';
import { describe, expect, it } from 'vitest';
import { checkEmail } from './recipients.js';
import { locales, renderEmail } from './templates.js';

const event = (type: string, data: Record<string, unknown>) => ({
  seq: 42,
  id: 'ev_01TEST',
  type,
  resourceType: type.split('.')[0]!,
  resourceId: 'r_1',
  version: 1,
  data: JSON.stringify(data),
  occurredAt: new Date('2026-12-06T10:00:00.000Z'),
});

describe('renderEmail', () => {
  it('has a subject of its own for every event type in every locale (a new type needs its words)', () => {
    for (const type of eventTypes) {
      for (const locale of locales) {
        const { subject } = renderEmail(event(type, { amount: '1', asset: 'ETH', to: 'x', url: 'https://h' }), locale, 'a@b.test');
        expect(subject, `${type} ${locale}`).not.toContain(type);
        expect(subject, `${type} ${locale}`).toMatch(locale === 'en' ? /^\[Wallet\] [A-Z]/ : /^\[钱包\] /);
      }
    }
  });

  it('escapes every value in the HTML part and keeps the subject on one line', () => {
    const mail = renderEmail(
      event('withdrawal.failed', { amount: '1', asset: 'ETH', to: 'x\r\nBcc: evil@attacker.test', reason: '<img src=x onerror=alert(1)>' }),
      'en',
      'a@b.test',
    );
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.text).toMatch(/^Feed sequence +42$/m);
  });
});

describe('checkEmail', () => {
  it('keeps the local part, lower-cases the domain, and refuses what is not one plain address', () => {
    expect(checkEmail(' Ops.Team+wallet@Exchange.Example ')).toBe('Ops.Team+wallet@exchange.example');
    for (const bad of [
      '',
      'ops',
      '@exchange.test',
      'ops@',
      'ops@exchange',
      'a b@exchange.test',
      'a@b.test\nBcc: c@d.test',
      'a@b.test,c@d.test',
      '"a"@b.test',
      `${'a'.repeat(65)}@b.test`,
    ]) {
      expect(() => checkEmail(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
