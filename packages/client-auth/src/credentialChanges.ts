import type { Redis } from 'ioredis';

/**
 * The Redis pub/sub channel on which accountsrv announces that a client's credentials changed (disabled, enabled,
 * secret rotated), so every gateway drops its cached copy at once instead of trusting it until the cache TTL.
 * The message is the API key id, as is. Pub/sub is fire-and-forget: a gateway that was disconnected when it was
 * published clears its whole cache when it subscribes again, and the TTL stays as the last backstop.
 * @param prefix start of every Redis key of the environment, e.g. `wallet:prod:`
 */
export function credentialChangesChannel(prefix: string): string {
  return `${prefix}client-credentials:changed`;
}

/**
 * Tells every gateway that `keyId`'s credentials changed. Call it after the change is committed in MySQL: a gateway
 * that reloads before the commit would cache the old record again.
 * @param redis any connection not in subscriber mode
 * @param prefix the environment's key prefix (as the gateways are given)
 * @param keyId the client's API key id
 * @returns how many gateway subscriptions received it
 */
export async function publishCredentialChange(redis: Redis, prefix: string, keyId: string): Promise<number> {
  return redis.publish(credentialChangesChannel(prefix), keyId);
}
