import { type KeyObject, createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { WalletError } from '@wallet/errors';

/** The envelope's version tag: the first field of every sealed value. */
export const ENVELOPE_VERSION = 'sb1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The longest plaintext sealed (bytes): a sealed value then fits a VARCHAR(255) column with room to spare. */
export const MAX_PLAINTEXT_BYTES = 128;

/** Why a sealed value did not open (`details.reason` of SECRET_UNREADABLE). */
export type UnreadableReason = 'malformed' | 'unknown_key' | 'auth_failed';

type Key = { readonly id: string; readonly aes: KeyObject };

// Both derived from the KEK with HKDF-SHA256 (no salt: the KEK is already uniformly random), under labels of their own,
// so the same KEK used elsewhere (signsrv's keystore derives with `wallet keystore v1`) yields unrelated keys.
const keyLabel = Buffer.from('wallet secret-box v1 key');
const idLabel = Buffer.from('wallet secret-box v1 key id');

/**
 * The key id of a KEK: 16 hex characters derived from it (HKDF-SHA256, 8 bytes). Derived rather than named, so two
 * different keys can never share an id and an id always means the same key in every file.
 * @param kek 32 bytes
 */
export function kekId(kek: Uint8Array): string {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), idLabel, 8)).toString('hex');
}

/**
 * AES-256-GCM envelopes for secrets stored in MySQL (API key HMAC secrets, webhook signing secrets), under a ring of
 * key-encryption keys: the first key seals, any key of the ring opens, so keys rotate without downtime.
 *
 * A sealed value is one ASCII string (it fits a VARCHAR column and survives JSON):
 * ```
 * sb1.<key id: 16 hex>.<nonce: 12 random bytes, base64url>.<ciphertext || 16-byte GCM tag, base64url>
 * associated data: "sb1.<key id>|<context>"
 * ```
 * The context names the row the value belongs to (`client_keys:<key id>`): GCM authenticates it, so a value copied
 * onto another row, or altered, does not open. The version and key id are authenticated too.
 */
export class SecretBox {
  readonly #keys: readonly Key[];
  readonly #byId: ReadonlyMap<string, Key>;

  private constructor(keys: readonly Key[]) {
    this.#keys = keys;
    this.#byId = new Map(keys.map((k) => [k.id, k]));
  }

  /**
   * A box over `keks`. The KEKs are not kept (only keys derived from them): the caller may zero them afterwards.
   * @param keks 32-byte keys, the sealing one first; at least one, no two alike
   * @throws WalletError CONFIG_INVALID (no key, a key not of 32 bytes, the same key twice)
   */
  static fromKeks(keks: readonly Uint8Array[]): SecretBox {
    if (keks.length === 0) throw new WalletError('CONFIG_INVALID', 'a secret box needs at least one key');
    const keys = keks.map((kek): Key => {
      if (kek.length !== 32) throw new WalletError('CONFIG_INVALID', 'a key-encryption key is 32 bytes');
      const derived = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), keyLabel, 32));
      try {
        return { id: kekId(kek), aes: createSecretKey(derived) };
      } finally {
        derived.fill(0);
      }
    });
    if (new Set(keys.map((k) => k.id)).size !== keys.length) {
      throw new WalletError('CONFIG_INVALID', 'the same key-encryption key is listed twice');
    }
    return new SecretBox(keys);
  }

  /** The id of the key that seals. */
  get activeKeyId(): string {
    return this.#keys[0]!.id;
  }

  /** The ids of every key that opens, the sealing one first. */
  get keyIds(): readonly string[] {
    return this.#keys.map((k) => k.id);
  }

  /**
   * Seals a secret for one row.
   * @param plaintext the secret (UTF-8, at most {@link MAX_PLAINTEXT_BYTES} bytes)
   * @param context what the value belongs to, e.g. `client_keys:<key id>`: the same context must be given to open it
   * @returns the envelope, under the active key with a fresh random nonce
   */
  seal(plaintext: string, context: string): string {
    const data = Buffer.from(plaintext, 'utf8');
    if (data.length > MAX_PLAINTEXT_BYTES) throw new WalletError('INTERNAL', `a sealed secret is at most ${MAX_PLAINTEXT_BYTES} bytes`);
    const key = this.#keys[0]!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.aes, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(key.id, context));
    const sealed = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    data.fill(0);
    return `${ENVELOPE_VERSION}.${key.id}.${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
  }

  /**
   * Opens a sealed secret.
   * @param sealed an envelope from {@link seal}
   * @param context the context it was sealed for
   * @throws WalletError SECRET_UNREADABLE with `details.reason` {@link UnreadableReason} (and `details.keyId` when the
   * envelope names one); never the value
   */
  open(sealed: string, context: string): string {
    const parts = parseEnvelope(sealed);
    if (parts === undefined) throw unreadable('malformed', 'a stored secret is not a sealed value');
    const key = this.#byId.get(parts.keyId);
    if (key === undefined) {
      throw unreadable('unknown_key', `a stored secret is sealed under key ${parts.keyId}, which is not loaded`, parts.keyId);
    }
    const decipher = createDecipheriv('aes-256-gcm', key.aes, parts.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(key.id, context));
    decipher.setAuthTag(parts.sealed.subarray(parts.sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(parts.sealed.subarray(0, parts.sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw unreadable('auth_failed', 'a stored secret does not open: altered, or copied from another row', key.id);
    }
  }

  /** The key id a sealed value names, or undefined when it is not an envelope. */
  keyIdOf(sealed: string): string | undefined {
    return parseEnvelope(sealed)?.keyId;
  }

  /**
   * Seals again under the active key (rotation). A value already under it is returned as is.
   * @throws WalletError SECRET_UNREADABLE as {@link open}
   */
  rewrap(sealed: string, context: string): string {
    if (this.keyIdOf(sealed) === this.activeKeyId) return sealed;
    return this.seal(this.open(sealed, context), context);
  }
}

const associatedData = (keyId: string, context: string): Buffer => Buffer.from(`${ENVELOPE_VERSION}.${keyId}|${context}`, 'utf8');

const envelopePattern = /^sb1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

function parseEnvelope(sealed: string): { keyId: string; nonce: Buffer; sealed: Buffer } | undefined {
  const m = typeof sealed === 'string' ? envelopePattern.exec(sealed) : null;
  if (m === null) return undefined;
  const nonce = Buffer.from(m[2]!, 'base64url');
  const body = Buffer.from(m[3]!, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) return undefined;
  return { keyId: m[1]!, nonce, sealed: body };
}

function unreadable(reason: UnreadableReason, message: string, keyId?: string): WalletError {
  return new WalletError('SECRET_UNREADABLE', message, { details: keyId === undefined ? { reason } : { reason, keyId } });
}
