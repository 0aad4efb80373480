import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LoginForm } from '@wallet/console-auth';
import { WalletError, isWalletError } from '@wallet/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { sessionOf } from './consoleRequest.js';
import { consoleUrl } from './consoleUrl.js';
import { LOGIN_COOKIE, SESSION_COOKIE, readCookie, setCookie } from './cookies.js';
import { html } from './html.js';
import { banner, layout, sendHtml } from './layout.js';
import { parseFields, readForm } from './readForm.js';

/** Where to go after logging in: a console page of this server only (never another host, never a scheme). */
const Next = z
  .string()
  .max(1000)
  .regex(/^\/console\/[A-Za-z0-9_\-./?=&%:]*$/)
  .refine((p) => !p.includes('//') && !p.includes('..') && !p.startsWith('/console/login'));

const LoginQuery = z
  .object({
    next: z.string().optional(),
    /** Why the login page is shown: fixed messages only (nothing from the URL is echoed). */
    why: z.enum(['expired', 'logout']).optional(),
  })
  .passthrough();

const NOTES = { expired: 'Your session has ended: log in again.', logout: 'You have logged out.' } as const;

function nextOf(raw: string | undefined): string {
  const parsed = Next.safeParse(raw);
  return parsed.success ? parsed.data : consoleUrl(['queue']);
}

/** The login form's token from its cookie, or a new one (set on the answer). */
function loginToken(request: FastifyRequest, reply: FastifyReply): string {
  const existing = readCookie(request, LOGIN_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  reply.header('set-cookie', setCookie(LOGIN_COOKIE, token));
  return token;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a.length === 0) return false;
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function loginPage(input: { token: string; next: string; username?: string; note?: string; error?: string }) {
  return layout(
    { title: 'Log in', section: 'login' },
    html`<div class="login card">
      <h1>Log in</h1>
      ${input.note ? banner('ok', input.note) : ''} ${input.error ? banner('error', input.error) : ''}
      <form class="stack" method="post" action="${consoleUrl(['login'], { next: input.next })}">
        <input type="hidden" name="_csrf" value="${input.token}" />
        <label
          >Username
          <input
            name="username"
            autocomplete="username"
            required
            maxlength="64"
            autocapitalize="none"
            spellcheck="false"
            value="${input.username ?? ''}"
        /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1000" /></label>
        <label
          >Authenticator code
          <input
            name="totp"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            maxlength="6"
            required
            placeholder="6 digits"
        /></label>
        <button class="primary" type="submit">Log in</button>
      </form>
    </div>`,
  );
}

/**
 * The login page (public): username, password and the authenticator's code. The form is protected against login CSRF
 * by a token of its own (a cookie and a hidden field that must match: another site can set neither). A success sets the
 * session cookie and goes where the user was sent from; a failure says only that something was wrong (401), and
 * throttling answers 429 with Retry-After.
 */
export function loginRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/login', async (request, reply) => {
      const query = LoginQuery.parse(request.query);
      const next = nextOf(query.next);
      // Already logged in: nothing to do here.
      const live = await deps.auth.session(readCookie(request, SESSION_COOKIE)).catch(() => undefined);
      if (live) return reply.redirect(next, 303);
      const note = query.why === undefined ? undefined : NOTES[query.why];
      return sendHtml(reply, loginPage({ token: loginToken(request, reply), next, ...(note === undefined ? {} : { note }) }));
    });

    app.post('/login', async (request, reply) => {
      const next = nextOf(LoginQuery.parse(request.query).next);
      const fields = readForm(request);
      const token = readCookie(request, LOGIN_COOKIE);
      if (!sameToken(token, fields['_csrf'])) {
        throw new WalletError('FORBIDDEN', 'missing or wrong CSRF token', { details: { reason: 'csrf' } });
      }
      const form = parseFields(LoginForm, fields);
      try {
        const result = await deps.auth.login({
          username: form.username,
          password: form.password,
          totp: form.totp.trim(),
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? '',
        });
        reply.header('set-cookie', [setCookie(SESSION_COOKIE, result.token), setCookie(LOGIN_COOKIE, '', true)]);
        return reply.redirect(next, 303);
      } catch (error) {
        if (!isWalletError(error, 'UNAUTHENTICATED')) throw error;
        const page = loginPage({ token: token!, next, username: form.username, error: 'Wrong username, password or code.' });
        return sendHtml(reply, page, 401);
      }
    });
  };
}

/** Logging out (behind the session and CSRF hooks): the session ends on the server and the cookie is cleared. */
export function logoutRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/logout', async (request, reply) => {
      sessionOf(request);
      await deps.auth.logout(readCookie(request, SESSION_COOKIE));
      reply.header('set-cookie', setCookie(SESSION_COOKIE, '', true));
      return reply.redirect(consoleUrl(['login'], { why: 'logout' }), 303);
    });
  };
}
