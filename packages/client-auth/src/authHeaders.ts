/**
 * The four request-signing headers of docs/api.md, as a client sends them. Node lower-cases incoming
 * header names, so the authenticator matches them case-insensitively.
 */
export const AuthHeader = {
  apiKey: 'X-Api-Key',
  timestamp: 'X-Timestamp',
  nonce: 'X-Nonce',
  signature: 'X-Signature',
} as const;

export type AuthHeader = (typeof AuthHeader)[keyof typeof AuthHeader];

/** The headers {@link signRequest} produces, ready to merge into a request. */
export type SignedHeaders = { readonly [H in AuthHeader]: string };
