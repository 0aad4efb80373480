/** A query value; `undefined` and `null` leave the parameter out, a Date is sent as ISO-8601. */
export type QueryValue = string | number | bigint | boolean | Date | null | undefined;

/** Query parameters in the order they are sent. */
export type Query = Readonly<Record<string, QueryValue>>;

/**
 * Builds a request target once, so the very string that is signed is the one sent (docs/api.md: the gateway signs
 * the bytes it received, with no decoding or re-ordering): path parameters and query values percent-encoded with
 * `encodeURIComponent`, parameters in the order given, no `?` when there is no query.
 * @param template a path with `{name}` placeholders, such as `/v1/accounts/{id}/deposits`
 * @param params a value for every placeholder
 * @param query the query parameters
 * @returns the path and query to sign and send
 */
export function requestTarget(template: string, params: Readonly<Record<string, string>> = {}, query: Query = {}): string {
  const path = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`${template}: ${name} must be a non-empty string`);
    return encodeURIComponent(value);
  });
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const text = value instanceof Date ? value.toISOString() : String(value);
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
  }
  return pairs.length === 0 ? path : `${path}?${pairs.join('&')}`;
}
