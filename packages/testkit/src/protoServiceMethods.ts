import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const protoRoot = fileURLToPath(new URL('../../../proto/', import.meta.url));

/**
 * The gRPC paths of every rpc of one service as its .proto file declares them (`/wallet.v1.TransService/Transfer`),
 * read from the source rather than the generated code, so that a table checked against it also catches stale
 * generated code.
 * @param file the .proto file, relative to proto/, e.g. `wallet/v1/trans.proto`
 * @param service the service's name in it, e.g. `TransService`
 * @throws Error when the file declares no such service, or it has no rpc
 */
export function protoServiceMethods(file: string, service: string): string[] {
  const text = readFileSync(join(protoRoot, file), 'utf8').replace(/\/\/.*$/gm, '');
  const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(text)?.[1];
  const body = new RegExp(`\\bservice\\s+${service}\\s*\\{([^}]*)\\}`).exec(text)?.[1];
  if (pkg === undefined || body === undefined) throw new Error(`${file} declares no service ${service}`);
  const names = [...body.matchAll(/\brpc\s+(\w+)\s*\(/g)].map((m) => m[1]!);
  if (names.length === 0) throw new Error(`${file}: service ${service} has no rpc`);
  return names.map((name) => `/${pkg}.${service}/${name}`);
}
