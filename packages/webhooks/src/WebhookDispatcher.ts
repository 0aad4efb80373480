import { type Knex, globalOutboxOrigin, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { EventType, ResourceType, appendEvents, readEvents, wants } from '@wallet/events';
import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import type { SecretBox } from '@wallet/secret-box';
import { type Attempt, deliverWebhook } from './deliverWebhook.js';
import type { DestinationPolicy } from './destinationPolicy.js';
import { type EndpointRow, deliveryRow, endpointSecretContext } from './endpoints.js';

/** How long an endpoint whose secret does not open is left alone before it is tried again (and logged again). */
const UNREADABLE_PAUSE_MS = 60_000;

/** About 10 s, 1 min, 10 min, then every hour, until {@link WebhookDispatcherOptions.giveUpAfterMs}. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [10_000, 60_000, 600_000, 3_600_000];

export type WebhookDispatcherOptions = {
  readonly db: Knex;
  /** This transrv node: it holds the leases of the endpoints it delivers to, and sequences their `webhook.disabled`. */
  readonly nodeId: string;
  readonly log: Logger;
  /** Opens the endpoints' signing secrets (TRANSRV_SECRETS_KEK_FILE). */
  readonly secrets: SecretBox;
  readonly policy: DestinationPolicy;
  /** The wait before each retry of a delivery; the last one repeats. @default DEFAULT_RETRY_SCHEDULE_MS */
  readonly retryScheduleMs?: readonly number[];
  /** A delivery still failing this long after its first attempt is given up (failed). @default 24 h */
  readonly giveUpAfterMs?: number;
  /** An endpoint failing without a success for this long is disabled. @default 3 days */
  readonly disableAfterMs?: number;
  /** How long a node holds an endpoint without renewing (a crashed node's endpoints are taken over after it). @default 30_000 */
  readonly leaseMs?: number;
  /** Endpoints this node delivers to at once. @default 32 */
  readonly maxEndpoints?: number;
  /** @default 250 */
  readonly intervalMs?: number;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /**
   * How long a webhook POST's stored answer (`webhook_requests`, a create's or rotation's sealed secret among them) is
   * kept for retries with its Idempotency-Key. The API promises 24 h; past this age the answers are deleted (at most
   * one pass a minute, by every node: the delete is idempotent). @default 48 h
   */
  readonly requestRetentionMs?: number;
};

type DeliveryRow = {
  id: number;
  endpoint_id: string;
  status: string;
  event_id: string | null;
  event_type: string;
  body: string;
  attempts: number;
  next_attempt_at: Date;
  first_attempt_at: Date | null;
};

/**
 * Delivers the clients' events to their webhooks, at least once, in feed order per endpoint. Every transrv node runs
 * one; an endpoint is delivered by the node holding its lease in MySQL (renewed every pass, taken over by another
 * node once a crashed holder's lease runs out). Per endpoint: the client's new events it subscribes to are queued
 * (`webhook_deliveries`, its cursor moved in the same transaction), then the queue's head is sent, and only a success
 * (or giving up) lets the next one go: a failing endpoint waits on its own schedule while the others go on.
 *
 * Retries on 5xx, 408, 429 and no answer, on the schedule; any other answer fails the delivery at once. A delivery
 * failing for `giveUpAfterMs` is failed (redeliverable by the API); an endpoint without a success for
 * `disableAfterMs` is disabled, with a `webhook.disabled` event in the client's feed.
 */
export class WebhookDispatcher {
  readonly #o: WebhookDispatcherOptions;
  readonly #task: PeriodicTask;
  readonly #busy = new Map<string, Promise<void>>();
  /** Endpoints whose secret did not open, until when they are left alone. */
  readonly #unreadable = new Map<string, number>();
  /** When stored answers past their retention were last deleted. */
  #prunedAt = 0;

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
    this.#task = new PeriodicTask({ name: 'webhooks', log: options.log, intervalMs: options.intervalMs ?? 250, run: () => this.pass() });
  }

  start(): void {
    this.#task.start();
  }

  kick(): Promise<void> {
    return this.#task.kick();
  }

  /** Stops claiming; waits for the deliveries in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    await this.#task.stop();
    await Promise.all(this.#busy.values());
  }

  /**
   * Deletes the stored answers of webhook POSTs older than the retention, 1,000 rows at a time, until none is left.
   * @returns how many were deleted
   */
  async pruneRequests(): Promise<number> {
    const retentionUs = (this.#o.requestRetentionMs ?? 48 * 3_600_000) * 1000;
    let deleted = 0;
    for (;;) {
      const [result] = (await this.#o.db.raw(
        'DELETE FROM webhook_requests WHERE created_at < CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND LIMIT 1000',
        [retentionUs],
      )) as [{ affectedRows: number }];
      deleted += result.affectedRows;
      if (result.affectedRows < 1000) break;
    }
    if (deleted > 0) this.#o.log.info({ deleted }, 'stored answers of webhook requests past their retention deleted');
    return deleted;
  }

  /** One pass: renew and claim leases, then start the work of each held endpoint not already being worked on. */
  async pass(): Promise<void> {
    const { db, nodeId } = this.#o;
    if (Date.now() - this.#prunedAt >= 60_000) {
      this.#prunedAt = Date.now();
      await this.pruneRequests();
    }
    const leaseUs = (this.#o.leaseMs ?? 30_000) * 1000;
    const max = this.#o.maxEndpoints ?? 32;
    await db.raw(
      `UPDATE webhook_endpoints SET lease_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND
       WHERE lease_owner = ? AND status = 'active' AND deleted_at IS NULL`,
      [leaseUs, nodeId],
    );
    const [[held]] = (await db.raw(
      "SELECT COUNT(*) AS n FROM webhook_endpoints WHERE lease_owner = ? AND status = 'active' AND deleted_at IS NULL",
      [nodeId],
    )) as [[{ n: number }]];
    if (Number(held.n) < max) {
      await db.raw(
        `UPDATE webhook_endpoints SET lease_owner = ?, lease_until = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND
         WHERE status = 'active' AND deleted_at IS NULL AND (lease_until IS NULL OR lease_until < CURRENT_TIMESTAMP(3))
         LIMIT ?`,
        [nodeId, leaseUs, max - Number(held.n)],
      );
    }
    const mine = await db<EndpointRow>('webhook_endpoints')
      .where({ lease_owner: nodeId, status: 'active' })
      .whereNull('deleted_at')
      .select('id');
    for (const { id } of mine) {
      if (this.#busy.has(id) || (this.#unreadable.get(id) ?? 0) > Date.now()) continue;
      const work = this.#work(id)
        .catch((error: unknown) => this.#o.log.warn({ err: error, webhookId: id }, 'webhook work failed; retried next pass'))
        .finally(() => this.#busy.delete(id));
      this.#busy.set(id, work);
    }
  }

  /**
   * Queues the endpoint's new events, then sends its queue's head while they succeed: the queue is topped up from the
   * feed every 50 sends, and a turn ends after 1,000 (the next pass starts another), when the queue is empty or its head
   * waits for a retry, or when the lease is no longer this node's (checked before every send).
   */
  async #work(id: string): Promise<void> {
    for (let sent = 0; sent < 1000; sent++) {
      if (sent % 50 === 0) await this.#fanOut(id);
      const endpoint = await this.#o
        .db<EndpointRow>('webhook_endpoints')
        .where({ id, lease_owner: this.#o.nodeId, status: 'active' })
        .whereNull('deleted_at')
        .first();
      if (!endpoint) return;
      const head = await this.#o
        .db<DeliveryRow>('webhook_deliveries')
        .where({ endpoint_id: id, status: 'queued' })
        .orderBy('id')
        .first('id', 'endpoint_id', 'status', 'event_id', 'event_type', 'body', 'attempts', 'next_attempt_at', 'first_attempt_at');
      if (!head || head.next_attempt_at.getTime() > Date.now()) return;
      const secrets = this.#secretsOf(endpoint);
      if (secrets === undefined) return;
      const attempt = await deliverWebhook({
        url: endpoint.url,
        body: head.body,
        secrets,
        policy: this.#o.policy,
        timeoutMs: this.#o.timeoutMs ?? 10_000,
        headers: {
          'x-wallet-delivery-id': String(head.id),
          'x-wallet-event-id': head.event_id ?? '',
          'x-wallet-event-type': head.event_type,
        },
      });
      await this.#record(endpoint, head, attempt);
      if (attempt.outcome === 'retry') return;
    }
  }

  /**
   * The secrets to sign with: the current one, and the previous one during a rotation's overlap. Undefined when one does
   * not open (SECRET_UNREADABLE: altered, copied from another row, or its KEK not loaded): nothing is sent unsigned or
   * signed wrongly; the endpoint's deliveries wait, it is logged and left alone for a minute (not a failure loop), and a
   * rotation of its secret (overlap 0) replaces it.
   */
  #secretsOf(endpoint: EndpointRow): string[] | undefined {
    const context = endpointSecretContext(endpoint.id);
    try {
      const secrets = [this.#o.secrets.open(endpoint.secret_box ?? '', context)];
      if (endpoint.previous_secret_box && endpoint.previous_secret_until && endpoint.previous_secret_until.getTime() > Date.now()) {
        secrets.push(this.#o.secrets.open(endpoint.previous_secret_box, context));
      }
      this.#unreadable.delete(endpoint.id);
      return secrets;
    } catch (error) {
      if (!isWalletError(error, 'SECRET_UNREADABLE')) throw error;
      this.#unreadable.set(endpoint.id, Date.now() + UNREADABLE_PAUSE_MS);
      this.#o.log.error(
        { webhookId: endpoint.id, clientId: endpoint.client_id, code: error.code, reason: error.details['reason'] },
        "a webhook's stored secret does not open: its deliveries wait until its secret is rotated",
      );
      return undefined;
    }
  }

  /** Moves the client's events after the endpoint's cursor into its queue (those it subscribes to), in one transaction. */
  async #fanOut(id: string): Promise<void> {
    await withTransaction(this.#o.db, async (trx) => {
      const endpoint = await trx<EndpointRow>('webhook_endpoints').where({ id }).forUpdate().first();
      if (!endpoint || endpoint.status !== 'active' || endpoint.deleted_at !== null) return;
      const feed = await readEvents(trx, endpoint.client_id, { after: Number(endpoint.cursor_seq), limit: 500 });
      if (feed.length === 0) return;
      const types = JSON.parse(endpoint.events) as string[];
      const rows = feed.filter((e) => wants(types, e.type)).map((e) => deliveryRow(id, endpoint.client_id, 'event', e));
      if (rows.length > 0) await trx('webhook_deliveries').insert(rows);
      await trx('webhook_endpoints')
        .where({ id })
        .update({ cursor_seq: Number(feed.at(-1)!.seq) });
    });
  }

  /** Records an attempt, and what it means for the endpoint, in one transaction. */
  async #record(endpoint: EndpointRow, head: DeliveryRow, attempt: Attempt): Promise<void> {
    const { log } = this.#o;
    const now = Date.now();
    const attempts = head.attempts + 1;
    const firstAt = head.first_attempt_at?.getTime() ?? now;
    const schedule = this.#o.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
    await withTransaction(this.#o.db, async (trx) => {
      const common = {
        attempts,
        last_status: attempt.status,
        last_attempt_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        first_attempt_at: head.first_attempt_at ?? trx.raw('CURRENT_TIMESTAMP(3)'),
      };
      const delivery = trx('webhook_deliveries').where({ id: head.id, status: 'queued' });
      if (attempt.outcome === 'delivered') {
        await delivery.update({ ...common, status: 'delivered', last_error: null, finished_at: trx.raw('CURRENT_TIMESTAMP(3)') });
        // A run of failures ends (the endpoint row as read before this send: a healthy one is not written at all).
        if (endpoint.failing_since !== null) await trx('webhook_endpoints').where({ id: endpoint.id }).update({ failing_since: null });
        return;
      }
      const gaveUp = attempt.outcome === 'rejected' || now - firstAt >= (this.#o.giveUpAfterMs ?? 24 * 3600_000);
      if (gaveUp) {
        await delivery.update({ ...common, status: 'failed', last_error: attempt.error, finished_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      } else {
        const wait = schedule[Math.min(attempts - 1, schedule.length - 1)]!;
        await delivery.update({
          ...common,
          last_error: attempt.error,
          next_attempt_at: trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [wait * 1000]),
        });
      }
      // The endpoint's run of failures: since when, and whether it has lasted long enough to disable it.
      const row = await trx<EndpointRow>('webhook_endpoints').where({ id: endpoint.id }).forUpdate().first();
      if (!row || row.status !== 'active') return;
      const since = row.failing_since?.getTime() ?? now;
      if (row.failing_since === null)
        await trx('webhook_endpoints')
          .where({ id: endpoint.id })
          .update({ failing_since: new Date(since) });
      if (now - since < (this.#o.disableAfterMs ?? 3 * 24 * 3600_000)) return;
      await trx('webhook_endpoints')
        .where({ id: endpoint.id })
        .update({
          status: 'disabled',
          disabled_reason: 'failing',
          lease_owner: null,
          lease_until: null,
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      // An event about a global resource, in the global database's outbox with the endpoint's change (any node's
      // sequencer moves it): docs/sharding.md.
      await appendEvents(trx, [
        {
          nodeId: globalOutboxOrigin,
          clientId: endpoint.client_id,
          type: EventType.webhookDisabled,
          resourceType: ResourceType.webhook,
          resourceId: endpoint.id,
          data: {
            id: endpoint.id,
            url: endpoint.url,
            status: 'disabled',
            reason: 'failing',
            failingSince: new Date(since).toISOString(),
            lastError: attempt.error,
          },
        },
      ]);
      log.warn(
        { webhookId: endpoint.id, clientId: endpoint.client_id, failingSince: new Date(since) },
        'webhook disabled: failing too long',
      );
    });
    if (attempt.outcome !== 'delivered') {
      log.info(
        { webhookId: endpoint.id, deliveryId: head.id, attempts, outcome: attempt.outcome, error: attempt.error },
        'webhook delivery failed',
      );
    }
  }
}
