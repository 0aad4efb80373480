import { advertisedAddress } from '@wallet/config';
import type { Discovery, Instance, RegisterOptions } from '@wallet/discovery';
import type { Logger } from '@wallet/logger';
import type { GrpcServer, GrpcTls } from '@wallet/rpc';

export type ServeOptions = {
  readonly server: GrpcServer;
  readonly discovery: Discovery;
  /** What to publish; `address` is filled in from the bound port. */
  readonly instance: Omit<Instance, 'address'>;
  /** gRPC listen `host:port` (port 0: any free port). */
  readonly listen: string;
  /** mTLS for every caller (loadGrpcTls), or undefined for plaintext. */
  readonly tls: GrpcTls | undefined;
  readonly advertiseHost?: string | undefined;
  readonly register?: RegisterOptions;
  readonly graceMs: number;
  readonly log: Logger;
};

/**
 * Listens, publishes the bound address in etcd, logs `ready`, and returns the stop function that
 * undoes it in the safe order: deregister first (peers stop routing here at once), then drain
 * in-flight calls, then let the caller close its pools.
 */
export async function serveAndRegister(options: ServeOptions): Promise<{ address: string; stop: () => Promise<void> }> {
  const bound = await options.server.listen(options.listen, options.tls);
  const address = advertisedAddress(bound, options.advertiseHost);
  const registration = await options.discovery.register({ ...options.instance, address }, options.register);
  options.log.info({ address, instanceId: options.instance.instanceId }, 'ready');
  return {
    address,
    stop: async () => {
      await registration.deregister();
      await options.server.close(options.graceMs);
    },
  };
}
