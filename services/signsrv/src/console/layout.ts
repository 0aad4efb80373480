import type { ConsoleSession } from '@wallet/console-auth';
import type { SigningControls } from '@wallet/payout';
import type { FastifyReply } from 'fastify';
import { consoleUrl } from './consoleUrl.js';
import { type HtmlValue, type SafeHtml, html } from './html.js';

/** The console's sections, for the navigation. */
export type Section = 'queue' | 'history' | 'alarms' | 'audit' | 'users' | 'policies' | 'whitelist' | 'controls' | 'treasury' | 'login';

/** What every page's frame needs besides its body. */
export type Frame = {
  readonly title: string;
  readonly section: Section;
  /** The logged-in user (none on the login page and some error pages). */
  readonly session?: ConsoleSession | undefined;
  /** The global switches, for the kill switch banner (none: not shown). */
  readonly controls?: SigningControls | undefined;
};

const NAV: readonly { section: Section; label: string; path: readonly string[]; admin?: boolean }[] = [
  { section: 'queue', label: 'Review queue', path: ['queue'] },
  { section: 'history', label: 'History', path: ['history'] },
  { section: 'alarms', label: 'Alarms', path: ['alarms'] },
  { section: 'audit', label: 'Audit log', path: ['audit'] },
  { section: 'users', label: 'Users', path: ['admin', 'users'], admin: true },
  { section: 'policies', label: 'Policies', path: ['admin', 'policies'], admin: true },
  { section: 'whitelist', label: 'Whitelist', path: ['admin', 'whitelist'], admin: true },
  { section: 'controls', label: 'Signing controls', path: ['admin', 'controls'], admin: true },
  { section: 'treasury', label: 'Treasury', path: ['admin', 'treasury'], admin: true },
];

/** The hidden field every state-changing form carries (checked against the session's token). */
export function csrfField(session: ConsoleSession): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}" />`;
}

/**
 * A whole page: the frame (navigation by role, the user and logout, the kill switch banner) around `body`.
 * @param frame title, section, session, controls
 */
export function layout(frame: Frame, body: HtmlValue): SafeHtml {
  const s = frame.session;
  const nav = s
    ? NAV.filter((n) => !n.admin || s.user.role === 'admin').map(
        (n) =>
          html`<a
            href="${consoleUrl(n.path)}"
            class="${n.section === frame.section ? 'active' : ''}"
            ${n.section === frame.section ? html` aria-current="page"` : ''}
            >${n.label}</a
          >`,
      )
    : [];
  const paused = frame.controls?.paused
    ? html`<div class="banner paused" role="alert">
        Signing is paused (kill switch) by ${frame.controls.pausedBy}: ${frame.controls.pauseReason}
      </div>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${frame.title} · Wallet console</title>
        <link rel="stylesheet" href="${consoleUrl(['console.css'])}" />
      </head>
      <body>
        <header class="top">
          <span class="brand">Wallet console</span>
          <nav>${nav}</nav>
          ${
            s
              ? html`<div class="who">
                  <span class="user" data-testid="whoami">${s.user.username} (${s.user.role})</span>
                  <form method="post" action="${consoleUrl(['logout'])}">${csrfField(s)}<button type="submit">Log out</button></form>
                </div>`
              : ''
          }
        </header>
        ${paused}
        <main>${body}</main>
      </body>
    </html>`;
}

/** Sends a page (or any markup) as HTML. */
export function sendHtml(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}

/** A banner: a success or an error message above a page's content. */
export function banner(kind: 'ok' | 'error' | 'warn', message: HtmlValue): SafeHtml {
  return html`<div class="banner ${kind}" role="${kind === 'ok' ? 'status' : 'alert'}">${message}</div>`;
}

/** A time as UTC, to the second: `2025-01-01 12:00:03 UTC`. */
export function formatTime(at: Date | null | undefined): string {
  if (!at) return '';
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** How long ago, roughly: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function formatAge(from: Date, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - from.getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
