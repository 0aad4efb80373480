import { WalletError } from '@wallet/errors';

/**
 * One JSON text per value, so the same details always hash the same: object keys sorted recursively (by UTF-16 code
 * units, as `Array.prototype.sort` orders strings), no whitespace, bigints as decimal strings, Dates as ISO strings,
 * properties whose value is `undefined` left out (as JSON.stringify does). Anything JSON cannot say faithfully (NaN,
 * Infinity, functions, symbols, Maps, class instances, `undefined` in an array) is refused rather than silently turned
 * into something else that would then be what the log claims was recorded.
 * @param value the details of an audit entry
 * @returns the canonical JSON text
 * @throws WalletError VALIDATION_FAILED naming the path of the first value it cannot encode
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw refused(path, 'a non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw refused(path, 'an invalid Date');
    return JSON.stringify(value.toISOString());
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown, i) => (item === undefined ? fail(`${path}[${i}]`, 'undefined') : encode(item, `${path}[${i}]`))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw refused(path, 'an object that is not plain');
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${encode(record[key], `${path}.${key}`)}`);
    return `{${fields.join(',')}}`;
  }
  throw refused(path, typeof value);
}

function refused(path: string, what: string): WalletError<'VALIDATION_FAILED'> {
  return new WalletError('VALIDATION_FAILED', `audit details: ${path} is ${what}, which has no canonical JSON form`, {
    details: { field: path },
  });
}

function fail(path: string, what: string): never {
  throw refused(path, what);
}
