import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** An id for an instance with no stable identity of its own: host, pid and a random suffix. */
export function newInstanceId(service: string): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 40);
  return `${service}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
