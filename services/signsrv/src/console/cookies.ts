import type { FastifyRequest } from 'fastify';

/** The session cookie: its token is a bearer credential, so no script may read it and no other site may send it. */
export const SESSION_COOKIE = 'wallet_console';
/** The login form's own CSRF token (double submit): it keeps another site from logging a browser in as someone else. */
export const LOGIN_COOKIE = 'wallet_console_login';

/**
 * A cookie of the request, or undefined. The first of a name counts: browsers send the one with the longest path
 * first, so ours (`Path=/console`) comes before one another application on the same host set for `/`.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A `Set-Cookie` value for the console. Always `Secure` (browsers accept Secure cookies from http://localhost and
 * http://127.0.0.1, and anywhere else the console must be behind TLS), `HttpOnly`, `SameSite=Strict` (no other site's
 * page or link sends it, so a state change can only come from the console's own pages), and the console's path only.
 * No Max-Age: the cookie ends with the browser session; the server ends the session earlier (idle, absolute).
 * @param value base64url only (a token): nothing that needs quoting
 * @param clear an expired cookie that removes it
 */
export function setCookie(name: string, value: string, clear = false): string {
  const attributes = ['Path=/console', 'HttpOnly', 'Secure', 'SameSite=Strict', ...(clear ? ['Max-Age=0'] : [])];
  return [`${name}=${clear ? '' : value}`, ...attributes].join('; ');
}
