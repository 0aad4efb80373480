import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, ApiClient } from '../harness/ApiClient.js';
import type { ServiceProcess } from '@wallet/launcher';
import { waitFor } from '../harness/waitFor.js';
import { type WithdrawalView, WithdrawalWorld } from '../harness/WithdrawalWorld.js';

// Issue 11 items 4 and 6: a retry with the same Idempotency-Key after an unknown outcome answers with the outcome of
// the request that took effect, and a key held by a gateway that died is free again within its lease (5 s).

type ErrorBody = { error: { code: string; details: Record<string, unknown> } };
type AssetInfo = { asset: string; minWithdrawal: string; withdrawalFee: string };

const FUND = 10n ** 18n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let world: WithdrawalWorld;
let min: bigint;
let fee: bigint;
/** Two more gateways with a long upstream timeout, so a request to a paused transrv hangs in them. */
let gatewayA: ServiceProcess;
let apiA: ApiClient;
let apiB: ApiClient;

async function startGateway(label: string): Promise<{ process: ServiceProcess; api: ApiClient }> {
  const process = world.cluster.spawnRaw('gatesrv', label, { GATESRV_HTTP_ADDR: '127.0.0.1:0', GATESRV_UPSTREAM_TIMEOUT_MS: '30000' });
  const ready = await process.waitForLog((l) => l.msg === 'ready' && typeof l['url'] === 'string', 60_000);
  return { process, api: new ApiClient(String(ready['url']), world.api.credentials) };
}

beforeAll(async () => {
  // The cluster's own gateway gives up on an upstream call after 1.5 s (504 TIMEOUT).
  world = await WithdrawalWorld.start({ extraEnv: { GATESRV_UPSTREAM_TIMEOUT_MS: '1500' } });
  const assets = await world.api.get<{ data: AssetInfo[] }>('/v1/assets');
  const eth = assets.body.data.find((a) => a.asset === 'ETH')!;
  min = BigInt(eth.minWithdrawal);
  fee = BigInt(eth.withdrawalFee);
  const a = await startGateway('gatesrv-a');
  gatewayA = a.process;
  apiA = a.api;
  apiB = (await startGateway('gatesrv-b')).api;
});

afterAll(async () => {
  await world?.stop();
});

/** The transrv process that owns `accountId`. */
async function ownerOf(accountId: string): Promise<ServiceProcess> {
  return world.cluster.process(`transrv-${await world.fixtures.nodeOf(accountId)}`);
}

async function balance(accountId: string): Promise<{ available: bigint; frozen: bigint }> {
  const res = await world.api.get<{ data: { asset: string; available: string; frozen: string }[] }>(`/v1/accounts/${accountId}/balances`);
  const eth = res.body.data.find((b) => b.asset === 'ETH');
  return { available: BigInt(eth?.available ?? 0), frozen: BigInt(eth?.frozen ?? 0) };
}

async function statusInDb(withdrawalId: string): Promise<string> {
  const row = await world.fixtures.db('withdrawals').where({ id: withdrawalId }).first<{ status: string }>('status');
  return row.status;
}

/** Whether a statement of another connection is waiting for the lock on a withdrawal row (SELECT ... FOR UPDATE). */
async function cancelWaitsForLock(): Promise<true | undefined> {
  const [rows] = (await world.fixtures.db.raw(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO LIKE '%from `withdrawals`%for update%'",
    [world.cluster.database],
  )) as [{ n: number }[]];
  return Number(rows[0]!.n) > 0 ? true : undefined;
}

/** Sends `send` until its answer is no longer 409 IDEMPOTENCY_IN_PROGRESS; returns the answer and the refusals. */
async function untilNotInProgress<T>(send: () => Promise<ApiResponse<T>>): Promise<{ res: ApiResponse<T>; refusals: unknown[] }> {
  const refusals: unknown[] = [];
  // 20 s: four times the lease. Before the lease, a dead gateway's claim held the key for 60 s.
  const res = await waitFor(
    'an answer other than IDEMPOTENCY_IN_PROGRESS',
    async () => {
      const answer = await send();
      const code = (answer.body as Partial<ErrorBody>).error?.code;
      if (answer.status === 409 && code === 'IDEMPOTENCY_IN_PROGRESS') {
        refusals.push(answer.body);
        return undefined;
      }
      return answer;
    },
    20_000,
  );
  return { res, refusals };
}

describe('a retry after an unknown outcome (issue 11 item 4)', () => {
  it('a cancel answered 504 but applied afterwards: the retry with its key gets 200 with the cancelled withdrawal', async () => {
    const account = await world.fundedAccount({ ETH: FUND });
    const transrv = await ownerOf(account);
    const created = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: min.toString() });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const total = min + fee;
    expect(await balance(account)).toEqual({ available: FUND - total, frozen: total });

    // Hold the row so the cancel waits inside transrv, pause transrv while it waits, and let the gateway time out.
    const key = randomUUID();
    const lock = await world.fixtures.db.transaction();
    let first: ApiResponse<ErrorBody>;
    try {
      await lock.raw('SELECT id FROM withdrawals WHERE id = ? FOR UPDATE', [id]);
      const pending = world.api.post<ErrorBody>(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: key });
      await waitFor('the cancel waiting for the row lock in transrv', cancelWaitsForLock);
      transrv.child.kill('SIGSTOP');
      first = await pending;
    } finally {
      await lock.rollback();
    }
    try {
      expect([first.status, first.body.error.code]).toEqual([504, 'TIMEOUT']);
      // The outcome is unknown: the cancel has not committed (transrv is paused inside it).
      expect(await statusInDb(id)).toBe('pending_review');
    } finally {
      transrv.child.kill('SIGCONT');
    }
    // transrv resumes and commits the cancel nobody is waiting for any more.
    await waitFor('the late cancel committed', async () => ((await statusInDb(id)) === 'cancelled' ? true : undefined));

    const retry = await world.api.post<WithdrawalView>(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: key });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ id, status: 'cancelled' });
    expect(retry.body).toEqual((await world.api.get<WithdrawalView>(`/v1/withdrawals/${id}`)).body);
    // Now stored by the gateway: the same answer again, replayed.
    const again = await world.api.post<WithdrawalView>(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: key });
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(again.body).toEqual(retry.body);
    // Another key is another cancel: refused, as before.
    const other = await world.api.post<ErrorBody>(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: randomUUID() });
    expect([other.status, other.body.error.code]).toEqual([409, 'WITHDRAWAL_NOT_CANCELLABLE']);

    // The funds were released exactly once.
    expect(await balance(account)).toEqual({ available: FUND, frozen: 0n });
    const release = await world.fixtures
      .db('journal')
      .where({ entry_id: `${id}:release` })
      .count<{ n: number }[]>({ n: '*' });
    expect(Number(release[0]!.n)).toBe(2);
    const cancels = await world.fixtures
      .db('withdrawal_events')
      .where({ withdrawal_id: id, to_status: 'cancelled' })
      .count<{ n: number }[]>({
        n: '*',
      });
    expect(Number(cancels[0]!.n)).toBe(1);
    expect(await world.fixtures.invariants()).toEqual([]);
  });

  it('a key that cancelled one withdrawal cannot cancel another: IDEMPOTENCY_KEY_REUSED, even once the gateway forgot it', async () => {
    const account = await world.fundedAccount({ ETH: FUND });
    const to = WithdrawalWorld.freshAddress();
    const one = await world.withdraw(account, { asset: 'ETH', to, amount: min.toString() });
    const two = await world.withdraw(account, { asset: 'ETH', to, amount: min.toString() });
    const key = randomUUID();
    expect((await world.api.post(`/v1/withdrawals/${one.body.id}/cancel`, {}, { idempotencyKey: key })).status).toBe(200);
    // The gateway's record lost (Redis flushed, expired): transrv's record still decides.
    const clientId = (await world.fixtures.db('accounts').where({ id: account }).first<{ client_id: string }>('client_id')).client_id;
    expect(await world.redis.del(`wallet:${world.cluster.env}:idem:${clientId}:${key}`)).toBe(1);
    const reused = await world.api.post<ErrorBody>(`/v1/withdrawals/${two.body.id}/cancel`, {}, { idempotencyKey: key });
    expect([reused.status, reused.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    expect(await statusInDb(two.body.id)).toBe('pending_review');
    // The first withdrawal released, the second still frozen.
    expect(await balance(account)).toEqual({ available: FUND - (min + fee), frozen: min + fee });
  });
});

describe('a gateway that dies with a request in flight (issue 11 item 6)', () => {
  it('its key is free again within the lease: retries on another gateway get the outcome, applied once', async () => {
    const account = await world.fundedAccount({ ETH: FUND });
    const transrv = await ownerOf(account);
    const clientId = (await world.fixtures.db('accounts').where({ id: account }).first<{ client_id: string }>('client_id')).client_id;
    const key = randomUUID();
    const record = `wallet:${world.cluster.env}:idem:${clientId}:${key}`;
    const body = { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: min.toString() };
    const path = `/v1/accounts/${account}/withdrawals`;

    transrv.child.kill('SIGSTOP');
    try {
      // Gateway A claims the key and sends the request to the paused transrv, where it waits.
      void apiA.post(path, body, { idempotencyKey: key }).catch(() => undefined);
      await waitFor('gateway A holding the key', async () => ((await world.redis.hget(record, 'state')) === 'running' ? true : undefined));
      await sleep(500);
      await gatewayA.stop('SIGKILL');
      // The dead gateway's claim lapses within the lease (it was 60 s).
      const left = await world.redis.pttl(record);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(5_000);
    } finally {
      transrv.child.kill('SIGCONT');
    }

    const { res, refusals } = await untilNotInProgress(() => apiB.post<WithdrawalView>(path, body, { idempotencyKey: key }));
    expect(res.status).toBe(201);
    for (const refusal of refusals) expect(refusal).toMatchObject({ error: { code: 'IDEMPOTENCY_IN_PROGRESS' } });

    // Exactly one withdrawal for the key, frozen once, whichever copy created it.
    const rows = await world.fixtures.db('withdrawals').where({ client_id: clientId, idempotency_key: key }).select<{ id: string }[]>('id');
    expect(rows.map((r) => r.id)).toEqual([res.body.id]);
    expect(await balance(account)).toEqual({ available: FUND - (min + fee), frozen: min + fee });
    const replay = await world.api.post<WithdrawalView>(path, body, { idempotencyKey: key });
    expect([replay.status, replay.body.id]).toEqual([201, res.body.id]);
    expect(await world.fixtures.invariants()).toEqual([]);
  });

  it('a live gateway keeps its claim past the lease while its request runs: a retry meanwhile is IDEMPOTENCY_IN_PROGRESS', async () => {
    const account = await world.fundedAccount({ ETH: FUND });
    const transrv = await ownerOf(account);
    const key = randomUUID();
    const body = { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: min.toString() };
    const path = `/v1/accounts/${account}/withdrawals`;

    let first: Promise<ApiResponse<WithdrawalView>>;
    transrv.child.kill('SIGSTOP');
    try {
      first = apiB.post<WithdrawalView>(path, body, { idempotencyKey: key });
      // Past the 5 s lease: only the renewal by gateway B keeps the key.
      await sleep(7_000);
      const meanwhile = await world.api.post<ErrorBody>(path, body, { idempotencyKey: key });
      expect([meanwhile.status, meanwhile.body.error.code]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
    } finally {
      transrv.child.kill('SIGCONT');
    }
    const done = await first;
    expect(done.status).toBe(201);
    expect(done.headers.get('idempotent-replayed')).toBeNull();
    const replay = await world.api.post<WithdrawalView>(path, body, { idempotencyKey: key });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([201, 'true', done.body]);
  });
});

describe('account creation retried after an unknown outcome (issue 11 item 4)', () => {
  it('a retry with the key that created the account answers 201 as the first request did; another key answers 200', async () => {
    const externalId = `retry-${randomUUID()}`;
    const key = randomUUID();
    const first = await world.api.post<{ id: string }>('/v1/accounts', { externalId }, { idempotencyKey: key });
    expect(first.status).toBe(201);
    // The gateway never stored the answer (it timed out, or Redis lost it): the retry reaches accountsrv again.
    const clientId = (await world.fixtures.db('accounts').where({ id: first.body.id }).first<{ client_id: string }>('client_id')).client_id;
    expect(await world.redis.del(`wallet:${world.cluster.env}:idem:${clientId}:${key}`)).toBe(1);
    const retry = await world.api.post<{ id: string }>('/v1/accounts', { externalId }, { idempotencyKey: key });
    expect([retry.status, retry.body]).toEqual([201, first.body]);
    const other = await world.api.post<{ id: string }>('/v1/accounts', { externalId }, { idempotencyKey: randomUUID() });
    expect([other.status, other.body]).toEqual([200, first.body]);
  });
});
