import { type AuditVerification, listAudit, verifyAudit } from '@wallet/audit';
import { parseInput } from '@wallet/http-edge';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { frameOf, sessionOf } from './consoleRequest.js';
import { consoleUrl } from './consoleUrl.js';
import { type SafeHtml, html } from './html.js';
import { banner, csrfField, layout, sendHtml } from './layout.js';

const PAGE = 100;
const optional = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const AuditQuery = z
  .object({
    action: optional(z.string().max(64)),
    actor: optional(z.string().max(100)),
    subject: optional(z.string().max(100)),
    before: optional(
      z
        .string()
        .regex(/^[1-9][0-9]{0,19}$/, 'an entry number')
        .transform(BigInt),
    ),
  })
  .strict();

/** verifyAudit's answer, for people. */
function verdict(v: AuditVerification): SafeHtml {
  if (v.ok) {
    return banner(
      'ok',
      html`<span data-testid="verify-result">The chain is intact: ${v.count} entries, head <span class="hash">${v.head}</span>.</span>`,
    );
  }
  return banner(
    'error',
    html`<span data-testid="verify-result">The chain is broken at entry ${v.seq} (${v.problem}): ${v.message}.</span>
      <span class="sub"
        >expected <span class="hash">${v.expected}</span>, found <span class="hash">${v.actual}</span>; ${v.checked} entries intact before
        it</span
      >`,
  );
}

/**
 * The hash-chained audit log, newest first, with filters by action, actor and subject (exact), and a button that walks
 * the whole chain (verifyAudit) and names the first broken entry. The walk is a POST: a page load or a prefetch never
 * starts it.
 */
export function auditRoutes(deps: ConsoleDeps) {
  async function page(request: FastifyRequest, reply: FastifyReply, q: z.infer<typeof AuditQuery>, result?: SafeHtml) {
    const entries = await listAudit(deps.db, {
      limit: PAGE + 1,
      ...(q.before === undefined ? {} : { beforeSeq: q.before }),
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.actor === undefined ? {} : { actor: q.actor }),
      ...(q.subject === undefined ? {} : { subject: q.subject }),
    });
    const items = entries.slice(0, PAGE);
    const next = entries.length > PAGE ? items[items.length - 1]!.seq : undefined;
    const { before: _before, ...filters } = q;
    const body = html`<h1>Audit log</h1>
      ${result ?? ''}
      <form method="post" action="${consoleUrl(['audit', 'verify'])}" class="filters">
        ${csrfField(sessionOf(request))}
        <span class="muted">Walks every entry from the first and checks each one's hash and link to the one before.</span>
        <button class="primary" type="submit">Verify the chain</button>
      </form>
      <form class="filters" method="get" action="${consoleUrl(['audit'])}">
        <label>Action <input name="action" value="${q.action ?? ''}" maxlength="64" placeholder="withdrawal_approved" /></label>
        <label>Actor <input name="actor" value="${q.actor ?? ''}" maxlength="100" placeholder="user:alice" /></label>
        <label>Subject <input name="subject" value="${q.subject ?? ''}" maxlength="100" placeholder="withdrawal id, username" /></label>
        <button type="submit">Filter</button> <a href="${consoleUrl(['audit'])}">Clear</a>
      </form>
      <table class="list" data-testid="audit">
        <thead>
          <tr>
            <th class="num">#</th>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Subject</th>
            <th>Details</th>
            <th>Hash</th>
          </tr>
        </thead>
        <tbody>
          ${items.map(
            (e) =>
              html`<tr data-seq="${e.seq}">
                <td data-label="#" class="num">${e.seq}</td>
                <td data-label="When">${e.at.replace('T', ' ')}</td>
                <td data-label="Actor">${e.actor}</td>
                <td data-label="Action"><code>${e.action}</code></td>
                <td data-label="Subject" class="mono">${e.subject ?? ''}</td>
                <td data-label="Details"><pre class="details">${JSON.stringify(e.details)}</pre></td>
                <td data-label="Hash"><span class="hash" title="${e.hash}">${e.hash.slice(0, 16)}…</span></td>
              </tr>`,
          )}
        </tbody>
      </table>
      <div class="pager">
        ${q.before !== undefined ? html`<a href="${consoleUrl(['audit'], filters)}">Newest</a>` : ''}${next !== undefined ? html`<a href="${consoleUrl(['audit'], { ...filters, before: next })}">Older</a>` : ''}
      </div>`;
    return sendHtml(reply, layout(await frameOf(request, deps, 'audit', 'Audit log'), body));
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/audit', async (request, reply) => page(request, reply, parseInput(AuditQuery, request.query, 'query')));
    app.post('/audit/verify', async (request, reply) => page(request, reply, {}, verdict(await verifyAudit(deps.db))));
  };
}
