import { WalletError, isWalletError } from '@wallet/errors';
import { toEdgeError } from '@wallet/http-edge';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminRoutes } from './admin/adminRoutes.js';
import { alarmRoutes } from './alarmRoutes.js';
import { auditRoutes } from './auditRoutes.js';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { consoleCss } from './consoleCss.js';
import { sessionIfAny, setForm, setSession } from './consoleRequest.js';
import { consoleUrl } from './consoleUrl.js';
import { SESSION_COOKIE, readCookie } from './cookies.js';
import { historyRoutes } from './historyRoutes.js';
import { html } from './html.js';
import { layout, sendHtml } from './layout.js';
import { loginRoutes, logoutRoutes } from './loginRoutes.js';
import { readForm } from './readForm.js';
import { reviewRoutes } from './reviewRoutes.js';

/**
 * The console's headers, on top of the edge's (`nosniff`, `no-store`): everything from signsrv itself and nothing
 * inline (no script at all: the console is plain forms), never framed, no referrer leaving a page.
 */
const consoleHeaders = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** Why a page is shown instead of what was asked, by HTTP status. */
const TITLES: Record<number, string> = {
  400: 'Check the form',
  401: 'Log in again',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Not a form',
  422: 'Refused',
  429: 'Too many attempts',
  503: 'Unavailable',
};

/** A client that asked for JSON and not for a page (a script): answered with the edge's error envelope. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** The message of an error as the console shows it (the registry's text, or a clearer one for the usual cases). */
function explain(e: WalletError): string {
  if (e.code === 'FORBIDDEN' && e.details['reason'] === 'csrf') {
    return 'The form was not sent from a page of this console, or the page is older than your session: reload it and try again.';
  }
  if (e.code === 'FORBIDDEN' && e.details['reason'] === 'role') return `This page is for ${String(e.details['required'])}s only.`;
  if (e.code === 'UNAUTHENTICATED') return 'Your session has ended or is not valid: log in again.';
  if (e.code === 'TOO_MANY_ATTEMPTS') {
    const seconds = e.details['retryAfterSeconds'];
    return `Too many failed attempts: try again in ${typeof seconds === 'number' ? seconds : 'a few'} seconds.`;
  }
  if (e.code === 'VALIDATION_FAILED' && Array.isArray(e.details['issues'])) {
    return (e.details['issues'] as { field: string; message: string }[]).map((i) => `${i.field}: ${i.message}`).join('; ');
  }
  return e.message;
}

/**
 * An error as a page (or, for a script, as the JSON envelope), with its status: 401 for no session, 403 for a missing
 * CSRF token or a role, 429 with Retry-After while logins are throttled.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toEdgeError(error);
  if (e.httpStatus >= 500) request.log.error({ err: error, code: e.code }, 'console request failed');
  if (e.code === 'TOO_MANY_ATTEMPTS') reply.header('retry-after', String(Math.max(1, Number(e.details['retryAfterSeconds'] ?? 1))));
  reply.headers(consoleHeaders);
  if (wantsJson(request)) return reply.code(e.httpStatus).type('application/json; charset=utf-8').send(e.toJSON());
  const session = sessionIfAny(request);
  const title = TITLES[e.httpStatus] ?? 'Something went wrong';
  const body = html`<div class="card">
    <h1>${title}</h1>
    <p data-testid="error-code"><code>${e.code}</code></p>
    <p data-testid="error-message">${explain(e)}</p>
    <p>
      ${
        e.httpStatus === 401 || !session
          ? html`<a href="${consoleUrl(['login'])}">Log in</a>`
          : html`<a href="${consoleUrl(['queue'])}">Back to the review queue</a>`
      }
    </p>
  </div>`;
  return sendHtml(reply, layout({ title, section: 'login', session }, body), e.httpStatus);
}

/**
 * The auditors' console as a fastify plugin, to register under `/console` on signsrv's HTTP server: server-rendered
 * pages and plain forms (no script). Everything behind the login needs a live session (HttpOnly, Secure, SameSite=Strict
 * cookie); a GET without one is sent to the login page, anything else gets 401. Every POST carries the session's CSRF
 * token (403 without it); the admin pages need the admin role (403). Business rules are the packages': the review desk
 * (@wallet/payout) refuses what the policy forbids, whatever a page shows.
 * @param deps see {@link ConsoleDeps}
 */
export function consoleRoutes(deps: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (_request, reply) => {
      reply.headers(consoleHeaders);
      if (deps.ready && !deps.ready()) {
        throw new WalletError('UNAVAILABLE', "signsrv is not ready: not yet registered as the cluster's signsrv", {
          details: { reason: 'NOT_READY' },
        });
      }
    });
    app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
    app.setNotFoundHandler((request, reply) => sendError(new WalletError('NOT_FOUND', 'no such page'), request, reply));

    app.get('/console.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(consoleCss));
    await app.register(loginRoutes(deps));

    // Everything else: a live session first (before the body is read), then the CSRF token of every POST.
    await app.register(async (authed) => {
      authed.addHook('onRequest', async (request, reply) => {
        try {
          setSession(request, await deps.auth.session(readCookie(request, SESSION_COOKIE)));
        } catch (error) {
          if (!isWalletError(error, 'UNAUTHENTICATED') || (request.method !== 'GET' && request.method !== 'HEAD') || wantsJson(request)) {
            throw error;
          }
          const why = error.details['reason'] === 'session_expired' ? 'expired' : undefined;
          return reply.redirect(consoleUrl(['login'], { next: request.url, why }), 303);
        }
        return undefined;
      });
      authed.addHook('preHandler', async (request) => {
        if (request.method !== 'POST') return;
        const form = readForm(request);
        const session = sessionIfAny(request)!;
        deps.auth.checkCsrf(session, form['_csrf']);
        setForm(request, form);
      });
      authed.get('/', async (_request, reply) => reply.redirect(consoleUrl(['queue']), 303));
      await authed.register(logoutRoutes(deps));
      await authed.register(reviewRoutes(deps));
      await authed.register(historyRoutes(deps));
      await authed.register(alarmRoutes(deps));
      await authed.register(auditRoutes(deps));
      await authed.register(adminRoutes(deps), { prefix: '/admin' });
    });
  };
}
