import { status } from '@grpc/grpc-js';

const names = new Map<number, string>(
  Object.entries(status)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/**
 * The name of a gRPC status code, as metrics label it: `NOT_FOUND` for 5.
 * @returns `UNKNOWN` for a code that is not a gRPC status
 */
export function statusName(code: number | undefined): string {
  return (code !== undefined && names.get(code)) || 'UNKNOWN';
}
