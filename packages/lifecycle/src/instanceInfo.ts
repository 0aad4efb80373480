/** The version every service reports in GetInfo. */
const version = process.env['npm_package_version'] ?? '0.1.0';

/**
 * What a service answers to GetInfo (wallet.v1.InstanceInfo).
 * @param nodeId transrv only @default ''
 */
export function instanceInfo(service: string, instanceId: string, startedAt: Date, nodeId = '') {
  return { service, instanceId, nodeId, version, startedAt: startedAt.toISOString() };
}
