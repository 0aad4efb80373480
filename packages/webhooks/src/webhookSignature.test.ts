import { describe, expect, it } from 'vitest';
import { isPublicAddress } from './destinationPolicy.js';
import { checkWebhookUrl } from './destinationPolicy.js';
import { signatureHeader, verifyWebhookSignature, webhookMac } from './webhookSignature.js';

describe('webhook signatures', () => {
  const body = '{"seq":1,"type":"deposit.credited"}';
  const t = 1_765_000_000;

  it('is HMAC-SHA256 of "t.body", hex (a known answer)', () => {
    // echo -n '1765000000.{"seq":1,"type":"deposit.credited"}' | openssl dgst -sha256 -hmac whsec_test
    expect(webhookMac('whsec_test', t, body)).toBe('912477a62b8c54d6b99b88c19f0a9037375fb09cc2b66cb475ca7e1b1d453fe2');
    expect(webhookMac('whsec_test', t, body)).toMatch(/^[0-9a-f]{64}$/);
    expect(webhookMac('whsec_test', t, body)).not.toBe(webhookMac('whsec_test', t + 1, body));
  });

  it('verifies with the secret, the timestamp and the exact body; refuses anything else', () => {
    const header = signatureHeader(['whsec_a'], t, body);
    expect(verifyWebhookSignature(header, 'whsec_a', body, { now: t })).toBe(true);
    expect(verifyWebhookSignature(header, 'whsec_b', body, { now: t })).toBe(false);
    expect(verifyWebhookSignature(header, 'whsec_a', `${body} `, { now: t })).toBe(false);
    expect(verifyWebhookSignature(header.replace(`t=${t}`, `t=${t + 1}`), 'whsec_a', body, { now: t })).toBe(false);
    // A replay: the right MAC, too old.
    expect(verifyWebhookSignature(header, 'whsec_a', body, { now: t + 301 })).toBe(false);
    expect(verifyWebhookSignature(undefined, 'whsec_a', body, { now: t })).toBe(false);
    expect(verifyWebhookSignature('v1=abc', 'whsec_a', body, { now: t })).toBe(false);
  });

  it('during a rotation carries one v1 per secret: either secret verifies', () => {
    const header = signatureHeader(['whsec_new', 'whsec_old'], t, body);
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifyWebhookSignature(header, 'whsec_new', body, { now: t })).toBe(true);
    expect(verifyWebhookSignature(header, 'whsec_old', body, { now: t })).toBe(true);
  });
});

describe('webhook destinations (SSRF)', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['8.8.8.8', true],
    ['172.32.0.1', true],
    ['2606:4700:4700::1111', true],
    ['not-an-ip', false],
  ])('%s is public: %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });

  const prod = { allowPrivate: false };
  it.each([
    'http://example.com/hook',
    'https://127.0.0.1/hook',
    'https://10.0.0.5/hook',
    'https://[::1]/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://localhost/hook',
    'https://user:pass@example.com/hook',
    'ftp://example.com/hook',
    'not a url',
    `https://example.com/${'a'.repeat(2100)}`,
  ])('refuses %s in production', (url) => {
    expect(() => checkWebhookUrl(url, prod)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('accepts a public https URL in production, and loopback http in dev', () => {
    expect(checkWebhookUrl('https://hooks.example.com/wallet?x=1', prod)).toBe('https://hooks.example.com/wallet?x=1');
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', { allowPrivate: true })).toBe('http://127.0.0.1:8080/hook');
  });
});
