import { WalletError } from '@wallet/errors';
import type { AccountServiceService, ClientKey } from '@wallet/proto';
import type { PromiseClient } from '@wallet/rpc';
import { parseDuration } from './parseDuration.js';
import type { Io } from './walletctl.js';

export type ClientKeyOptions = {
  readonly client?: string | undefined;
  readonly scopes?: string | undefined;
  readonly allowIp?: string | undefined;
  readonly overlap?: string | undefined;
  readonly json: boolean;
};

// accountsrv's bound (the request field is a uint32 of milliseconds: a longer one would not fit anyway).
const maxOverlapMs = 30 * 86_400_000;

const list = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const describe = (k: ClientKey): string =>
  [
    k.keyId.padEnd(28),
    k.status.padEnd(8),
    k.scopes.join(',').padEnd(23),
    (k.allowedCidrs.join(',') || 'any source').padEnd(20),
    k.createdAt,
    k.previousSecretExpiresAt ? ` old secret until ${k.previousSecretExpiresAt}` : '',
  ].join(' ');

/**
 * `walletctl clients keys ...`: a client's API keys (accountsrv issues, lists, disables and rotates them; every
 * gateway follows a change within 1 s).
 * @param action add | list | disable | enable | rotate
 * @param keyId the key, for disable, enable and rotate
 * @returns the exit code
 */
export async function clientKeysCommand(
  api: PromiseClient<typeof AccountServiceService>,
  action: string | undefined,
  keyId: string | undefined,
  options: ClientKeyOptions,
  io: Io,
): Promise<number> {
  const print = (json: unknown, human: string[]) =>
    options.json ? io.out(JSON.stringify(json, null, 2)) : human.forEach((l) => io.out(l));
  switch (action) {
    case 'add': {
      const clientId = required(options.client, '--client');
      if (options.scopes === undefined) throw new WalletError('VALIDATION_FAILED', '--scopes is required (read, transfer, withdraw)');
      const { key, secret } = await api.createClientKey({ clientId, scopes: list(options.scopes), allowedCidrs: list(options.allowIp) });
      print({ ...key, secret }, [
        `client   ${key?.clientId}`,
        `keyId    ${key?.keyId}`,
        `secret   ${secret}`,
        `scopes   ${key?.scopes.join(', ')}`,
        `sources  ${key?.allowedCidrs.join(', ') || 'any'}`,
        'The secret is shown only now: hand it to the exchange over a secure channel.',
      ]);
      return 0;
    }
    case 'list': {
      const { keys } = await api.listClientKeys({ clientId: required(options.client, '--client') });
      print(keys, ['keyId                        status   scopes                  sources              created', ...keys.map(describe)]);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const key = await api.setClientKeyStatus({ keyId: required(keyId, 'KEY_ID'), status: action === 'disable' ? 'disabled' : 'active' });
      print(key, [`${key.keyId} is ${key.status}`]);
      return 0;
    }
    case 'rotate': {
      const overlapMs = parseDuration(options.overlap ?? '24h', '--overlap');
      if (overlapMs > maxOverlapMs) throw new WalletError('VALIDATION_FAILED', '--overlap must be at most 30d');
      const { key, secret, previousSecretExpiresAt } = await api.rotateClientKey({ keyId: required(keyId, 'KEY_ID'), overlapMs });
      print({ keyId: key?.keyId, clientId: key?.clientId, secret, previousSecretExpiresAt: previousSecretExpiresAt || null }, [
        `keyId    ${key?.keyId} (unchanged)`,
        `secret   ${secret}`,
        previousSecretExpiresAt ? `The old secret keeps working until ${previousSecretExpiresAt}.` : 'The old secret no longer works.',
        'The secret is shown only now: hand it to the exchange over a secure channel.',
      ]);
      return 0;
    }
    default:
      io.err(`unknown command: clients keys ${action ?? ''}\n`);
      return 2;
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new WalletError('VALIDATION_FAILED', `${name} is required`);
  return value;
}
