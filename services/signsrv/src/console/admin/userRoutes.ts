import { ConsoleRole, type ConsoleUser, type IssuedCredentials } from '@wallet/console-auth';
import { parseInput } from '@wallet/http-edge';
import { ObjectId } from '@wallet/ids';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from '../ConsoleDeps.js';
import { actorOf, formOf, frameOf, sessionOf } from '../consoleRequest.js';
import { consoleUrl } from '../consoleUrl.js';
import { type SafeHtml, html } from '../html.js';
import { banner, csrfField, formatTime, layout, sendHtml } from '../layout.js';
import { parseFields } from '../readForm.js';

const Role = z.enum([ConsoleRole.auditor, ConsoleRole.admin]);
const CreateForm = z.object({ username: z.string().trim().min(1).max(64), role: Role }).strict();
const RoleForm = z.object({ role: Role }).strict();
const Empty = z.object({}).strict();
const Params = z.object({ id: ObjectId }).strict();
const ACTIONS = ['disable', 'enable', 'unlock'] as const;
const DONE = {
  disable: 'The user is disabled and logged out.',
  enable: 'The user is enabled.',
  unlock: 'The user is unlocked.',
  role: 'The role is changed.',
} as const;
const UsersQuery = z.object({ done: z.enum(Object.keys(DONE) as [keyof typeof DONE]).optional() }).strict();

function userRow(request: FastifyRequest, u: ConsoleUser): SafeHtml {
  const session = sessionOf(request);
  const action = (name: string, label: string, cls = '') =>
    html`<form class="inline" method="post" action="${consoleUrl(['admin', 'users', u.id, name])}">
      ${csrfField(session)}<button type="submit" class="${cls}">${label}</button>
    </form>`;
  const locked = u.lockedUntil !== null && u.lockedUntil.getTime() > Date.now();
  return html`<tr data-user="${u.username}">
    <td data-label="User"><strong>${u.username}</strong><span class="sub mono">${u.id}</span></td>
    <td data-label="Role">${u.role}</td>
    <td data-label="Status">
      ${u.status === 'active' ? html`<span class="badge ok">active</span>` : html`<span class="badge block">disabled</span>`}${locked ? html` <span class="badge warn">locked until ${formatTime(u.lockedUntil)}</span>` : ''}<span
        class="sub"
        >${u.failedLogins} failed logins</span
      >
    </td>
    <td data-label="Last login">
      ${formatTime(u.lastLoginAt) || 'never'}<span class="sub">created by ${u.createdBy}, ${formatTime(u.createdAt)}</span>
    </td>
    <td data-label="Change">
      ${u.status === 'active' ? action('disable', 'Disable', 'danger') : action('enable', 'Enable')}
      <form class="inline" method="post" action="${consoleUrl(['admin', 'users', u.id, 'role'])}">
        ${csrfField(session)}
        <select name="role" aria-label="role">
          ${Role.options.map((r) => html`<option value="${r}" ${r === u.role ? html` selected` : ''}>${r}</option>`)}</select
        ><button type="submit">Set role</button>
      </form>
      ${action('reset', 'Reset password and code')} ${u.failedLogins > 0 || locked ? action('unlock', 'Unlock') : ''}
    </td>
  </tr>`;
}

/** New credentials, shown once: the page is not stored (no-store) and they are never shown again. */
function credentialsPage(issued: IssuedCredentials, what: string): SafeHtml {
  return html`<h1>${what}: ${issued.user.username}</h1>
    ${banner('warn', 'Give these to the user now, over a safe channel: they are shown once and never again.')}
    <div class="card" data-testid="credentials">
      <dl class="facts">
        <dt>Username</dt>
        <dd class="secret" data-testid="new-username">${issued.user.username}</dd>
        <dt>Role</dt>
        <dd>${issued.user.role}</dd>
        <dt>Password</dt>
        <dd class="secret" data-testid="new-password">${issued.password}</dd>
        <dt>Authenticator secret</dt>
        <dd class="secret" data-testid="new-totp-secret">${issued.totpSecret}</dd>
        <dt>Authenticator URI</dt>
        <dd class="secret">${issued.otpauthUri}</dd>
      </dl>
    </div>
    <p><a href="${consoleUrl(['admin', 'users'])}">Back to the users</a></p>`;
}

/**
 * Console users (admins only): list, create (a generated password and TOTP secret shown once), disable and enable,
 * change the role, reset the password and code (shown once; the user's sessions end), unlock after lockout. Every
 * change is ConsoleAuth's, audited with the admin as actor.
 */
export function userRoutes(deps: ConsoleDeps) {
  async function list(request: FastifyRequest, reply: FastifyReply, message?: SafeHtml) {
    const users = await deps.auth.listUsers();
    const body = html`<h1>Users</h1>
      ${message ?? ''}
      <table class="list" data-testid="users">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>Status</th>
            <th>Last login</th>
            <th>Change</th>
          </tr>
        </thead>
        <tbody>
          ${users.map((u) => userRow(request, u))}
        </tbody>
      </table>
      <form class="stack card" method="post" action="${consoleUrl(['admin', 'users'])}" data-testid="create-user">
        ${csrfField(sessionOf(request))}
        <h2>New user</h2>
        <label
          >Username <span class="hint">1 to 64 of A-Z a-z 0-9 _ . -</span
          ><input name="username" required maxlength="64" autocapitalize="none" spellcheck="false"
        /></label>
        <label
          >Role
          <select name="role">
            <option value="auditor">auditor: reviews withdrawals</option>
            <option value="admin">admin: users, policies, whitelists, controls</option>
          </select></label
        >
        <button class="primary" type="submit">Create</button>
      </form>`;
    return sendHtml(reply, layout(await frameOf(request, deps, 'users', 'Users'), body));
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/users', async (request, reply) => {
      const { done } = parseInput(UsersQuery, request.query, 'query');
      return list(request, reply, done ? banner('ok', DONE[done]) : undefined);
    });

    app.post('/users', async (request, reply) => {
      const form = parseFields(CreateForm, formOf(request));
      const issued = await deps.auth.createUser({ username: form.username, role: form.role, createdBy: actorOf(request) });
      return sendHtml(reply, layout(await frameOf(request, deps, 'users', 'New user'), credentialsPage(issued, 'New user')), 201);
    });

    app.post('/users/:id/reset', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      parseFields(Empty, formOf(request));
      const issued = await deps.auth.resetPassword({ userId: id, actor: actorOf(request) });
      return sendHtml(
        reply,
        layout(await frameOf(request, deps, 'users', 'New password'), credentialsPage(issued, 'New password and code')),
      );
    });

    app.post('/users/:id/role', async (request, reply) => {
      const { id } = parseInput(Params, request.params, 'params');
      const { role } = parseFields(RoleForm, formOf(request));
      await deps.auth.setRole({ userId: id, role, actor: actorOf(request) });
      return reply.redirect(consoleUrl(['admin', 'users'], { done: 'role' }), 303);
    });

    for (const action of ACTIONS) {
      app.post(`/users/:id/${action}`, async (request, reply) => {
        const { id } = parseInput(Params, request.params, 'params');
        parseFields(Empty, formOf(request));
        const input = { userId: id, actor: actorOf(request) };
        if (action === 'disable') await deps.auth.disableUser(input);
        else if (action === 'enable') await deps.auth.enableUser(input);
        else await deps.auth.unlock(input);
        return reply.redirect(consoleUrl(['admin', 'users'], { done: action }), 303);
      });
    }
  };
}
