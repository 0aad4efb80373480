import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. */
export const SIGNATURE_HEADER = 'X-Wallet-Signature';

/** HMAC-SHA256 of `t.body` under `secret`, lower-case hex. */
export function webhookMac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The signature header's value: one `v1=` per secret (two while a rotation's old secret is still honoured), so a
 * receiver that knows either secret verifies it.
 */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${webhookMac(s, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does (docs/webhooks.md): parses the header, recomputes the MAC over the timestamp and the raw body,
 * compares in constant time, and refuses a timestamp further than `toleranceSeconds` from now (a replayed delivery).
 */
export function verifyWebhookSignature(
  header: string | undefined,
  secret: string,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (header === undefined) return false;
  const parts = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(webhookMac(secret, t, body), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v!, 'hex'), expected));
}
