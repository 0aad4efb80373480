/** Query values: absent ones (undefined, null, '') are left out of the URL. */
export type QueryValues = Readonly<Record<string, string | number | bigint | undefined | null>>;

/**
 * A console URL: the path under `/console` with each segment encoded, and a query of the non-empty values. Links are
 * built only here, so no input ever chooses a scheme or a host.
 * @param segments path segments below /console (each percent-encoded)
 * @param query @default none
 * @example consoleUrl(['withdrawals', id], { done: 'approved' }) // /console/withdrawals/wd_1?done=approved
 */
export function consoleUrl(segments: readonly string[], query: QueryValues = {}): string {
  const path = ['/console', ...segments.map(encodeURIComponent)].join('/');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}
