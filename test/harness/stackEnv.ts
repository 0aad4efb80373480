/**
 * Where the local stack (deploy/local/stack.sh) listens. Tests and the cluster runner read the same
 * variables the services do, so pointing them at another stack is one `export` away.
 */
export const stackEnv = {
  MYSQL_ROOT_URL: process.env['MYSQL_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306',
  REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  ETCD_ENDPOINTS: process.env['ETCD_ENDPOINTS'] ?? 'http://127.0.0.1:2379',
} as const;

/** A MYSQL_URL for database `name` on the stack's server. */
export function mysqlUrl(name: string): string {
  return `${stackEnv.MYSQL_ROOT_URL.replace(/\/$/, '')}/${name}`;
}
