/**
 * Headers every answer of an edge carries: no MIME sniffing of JSON, and nothing cached by browsers or proxies
 * (answers are per client and about money).
 */
export const securityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};
