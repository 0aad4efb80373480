import { appendAudit } from '@wallet/audit';
import { ConsoleAuth, type ConsoleRole, totpCode } from '@wallet/console-auth';
import type { Knex } from '@wallet/db';
import { createLogger } from '@wallet/logger';

/**
 * A console user's session over plain HTTP (no browser): the cookies kept by hand, the CSRF token read from a page's
 * forms, forms posted as a browser posts them. For cluster tests that act in the console without rendering it
 * (test/integration/console.test.ts drives a real browser).
 */
export class ConsoleSession {
  readonly #cookies = new Map<string, string>();

  private constructor(
    /** The console's root, `http://host:port/console`. */
    readonly base: string,
    readonly username: string,
  ) {}

  /**
   * Creates a console user in the cluster's database, as `walletctl console create-admin` does, and logs it in with
   * its password and the TOTP code of now.
   */
  static async create(db: Knex, base: string, username: string, role: ConsoleRole): Promise<ConsoleSession> {
    const auth = new ConsoleAuth({ db, log: createLogger('console-session', { level: 'silent' }), audit: appendAudit });
    const issued = await auth.createUser({ username, role, createdBy: 'walletctl:test' });
    const session = new ConsoleSession(base, username);
    const token = await session.csrf('/login');
    const res = await session.request('POST', '/login', {
      _csrf: token,
      username,
      password: issued.password,
      totp: totpCode(issued.totpSecret, Date.now()),
    });
    if (res.status !== 303) throw new Error(`login of ${username} failed: ${res.status}`);
    return session;
  }

  /** A request under the console root (`path` starts with `/`), with the session's cookies; redirects not followed. */
  async request(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string>,
  ): Promise<{ status: number; body: string; location: string | null }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.#cookies.size > 0 ? { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/Max-Age=0/.test(c)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return { status: res.status, body: await res.text(), location: res.headers.get('location') };
  }

  /** The CSRF token of a page's forms. */
  async csrf(path = '/queue'): Promise<string> {
    const res = await this.request('GET', path);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}: ${res.status}`);
    return token;
  }

  /** Posts a form of the page at `page` (its CSRF token added). */
  async post(
    path: string,
    form: Record<string, string> = {},
    page = '/queue',
  ): Promise<{ status: number; body: string; location: string | null }> {
    return this.request('POST', path, { _csrf: await this.csrf(page), ...form });
  }
}
