import { randomBytes } from 'node:crypto';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { appendAudit, listAudit } from '@wallet/audit';
import { ConsoleAuth, type ConsoleRole, totpCode } from '@wallet/console-auth';
import { type Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { createEdgeApp } from '@wallet/http-edge';
import { createLogger } from '@wallet/logger';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import { type ApprovalInput, type Principal, type ReviewView, assetHalts, currentPolicy, haltAsset } from '@wallet/payout';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleDeps } from './ConsoleDeps.js';
import { consoleRoutes } from './consoleRoutes.js';
import { createTestDatabase } from '@wallet/testkit';

// The console through fastify's inject(), mounted as app.ts mounts it, with ConsoleAuth and the audit log on a MariaDB
// database of its own and a clock the tests move. The review desk is a fake in memory (its rules are @wallet/payout's,
// tested there and in the browser tests against a cluster): here what matters is what the pages let through.

const log = createLogger('console-test', { level: 'silent' });
const registry = AssetRegistry.parse(devRegistryInput);
const HOSTILE = '<script>alert("x")</script>';

let db: Db;
let drop: () => Promise<void>;
let now: number;
let auth: ConsoleAuth;
let app: FastifyInstance;
let desk: FakeDesk;
let clientId: string;
let ip = 0;

function review(withdrawalId: string, overrides: Partial<ReviewView> = {}): ReviewView {
  return {
    withdrawalId,
    clientId,
    accountId: 'acc_1',
    nodeId: 't1',
    chain: 'eth',
    asset: 'ETH',
    to: '0x3535353535353535353535353535353535353535',
    amount: 2n * 10n ** 17n,
    fee: 10n ** 14n,
    localhash: 'ab'.repeat(32),
    status: 'pending_review',
    decision: null,
    decidedBy: null,
    decidedAt: null,
    reason: null,
    approvals: [],
    requiredApprovals: null,
    policyId: null,
    holdUntil: null,
    requestedBy: `client:${clientId}`,
    txid: null,
    nonce: null,
    clientDisabled: false,
    signingHalted: false,
    internal: false,
    internalAccountId: null,
    destinationIsContract: false,
    receivedAt: new Date(now - 120_000),
    createdAt: new Date(now - 120_000),
    ...overrides,
  };
}

/** The review desk in memory: records what the pages ask of it. */
class FakeDesk implements Pick<ConsoleDeps['payouts'], 'listPending' | 'listDecided' | 'get' | 'approve' | 'reject' | 'voidApproved'> {
  pending: ReviewView[] = [];
  decided: ReviewView[] = [];
  refuse: WalletError | undefined;
  readonly calls: { action: string; by: Principal; id: string; input?: ApprovalInput; reason?: string }[] = [];
  async listPending(): Promise<ReviewView[]> {
    return this.pending;
  }
  async listDecided(): Promise<ReviewView[]> {
    return this.decided;
  }
  async get(id: string): Promise<ReviewView> {
    const found = this.pending.find((v) => v.withdrawalId === id);
    if (!found) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue');
    return found;
  }
  async approve(by: Principal, id: string, input: ApprovalInput): Promise<ReviewView> {
    if (this.refuse) throw this.refuse;
    this.calls.push({ action: 'approve', by, id, input });
    return { ...(await this.get(id)), decision: 'approved' };
  }
  async reject(by: Principal, id: string, reason: string): Promise<ReviewView> {
    this.calls.push({ action: 'reject', by, id, reason });
    return { ...(await this.get(id)), decision: 'rejected', reason };
  }
  async voidApproved(by: Principal, id: string, reason: string): Promise<ReviewView> {
    this.calls.push({ action: 'void', by, id, reason });
    return { ...(await this.get(id)), decision: 'voided', reason };
  }
}

/** A browser of its own: its cookies, its address (each test its own, so the login throttle of one is not another's). */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly remoteAddress = `10.0.${Math.floor(++ip / 250)}.${(ip % 250) + 1}`;

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await app.inject({
      method,
      url,
      remoteAddress: this.remoteAddress,
      headers: {
        ...(this.cookies.size > 0 ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
    });
    const setCookies = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookies) ? setCookies : setCookies ? [setCookies] : []) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** The CSRF token of a page's forms. */
  async csrf(url = '/console/queue'): Promise<string> {
    const res = await this.request('GET', url);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (!token) throw new Error(`no CSRF token on ${url}: ${res.statusCode}`);
    return token;
  }

  async login(username: string, password: string, secret: string, code = totpCode(secret, now)) {
    const token = await this.csrf('/console/login');
    return this.request('POST', '/console/login', { _csrf: token, username, password, totp: code });
  }
}

async function user(role: ConsoleRole) {
  const issued = await auth.createUser({ username: `${role}-${randomBytes(4).toString('hex')}`, role, createdBy: 'test' });
  return { username: issued.user.username, password: issued.password, secret: issued.totpSecret, id: issued.user.id };
}

/** A browser logged in as a new user of the role. */
async function loggedIn(role: ConsoleRole) {
  const u = await user(role);
  const browser = new Browser();
  const res = await browser.login(u.username, u.password, u.secret);
  expect(res.statusCode).toBe(303);
  return { browser, user: u };
}

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  clientId = `cl_${randomBytes(4).toString('hex')}`;
  await db('clients').insert({ id: clientId, name: HOSTILE, key_id: `k_${clientId}`, secret: 's' });
});

afterAll(async () => {
  await app?.close();
  await drop?.();
});

beforeEach(async () => {
  now = Date.now();
  auth = new ConsoleAuth({ db, log, audit: appendAudit }, { clock: () => now });
  desk = new FakeDesk();
  desk.pending = [review('wd_1')];
  await app?.close();
  app = createEdgeApp({ log, bodyLimitBytes: 16 * 1024 });
  await app.register(consoleRoutes({ auth, db, payouts: desk, registry, audit: appendAudit, log }), { prefix: '/console' });
  await app.ready();
});

describe('the console without a session', () => {
  it('sends a page request to the login page, remembering where it was going', async () => {
    const res = await new Browser().request('GET', '/console/withdrawals/wd_1');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/login?next=%2Fconsole%2Fwithdrawals%2Fwd_1');
  });

  it('answers a form post 401 (a page), and a script 401 in JSON, before reading the body', async () => {
    const browser = new Browser();
    const post = await browser.request('POST', '/console/withdrawals/wd_1/reject', { reason: 'x' });
    expect(post.statusCode).toBe(401);
    expect(post.headers['content-type']).toMatch(/^text\/html/);
    expect(post.body).toContain('UNAUTHENTICATED');
    const json = await browser.request('GET', '/console/queue', undefined, { accept: 'application/json' });
    expect(json.statusCode).toBe(401);
    expect(json.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    // a forged session cookie is no session
    browser.cookies.set('wallet_console', 'A'.repeat(43));
    expect((await browser.request('GET', '/console/queue')).statusCode).toBe(303);
    expect(desk.calls).toEqual([]);
  });
});

describe('logging in', () => {
  it('sets the session cookie HttpOnly, Secure, SameSite=Strict on /console, and goes where it was sent', async () => {
    const u = await user('auditor');
    const browser = new Browser();
    const page = await browser.request('GET', '/console/login?next=%2Fconsole%2Fhistory');
    expect(page.statusCode).toBe(200);
    expect(page.headers['set-cookie']).toMatch(
      /^wallet_console_login=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const res = await browser.request('POST', '/console/login?next=%2Fconsole%2Fhistory', {
      _csrf: token,
      username: u.username,
      password: u.password,
      totp: totpCode(u.secret, now),
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/history');
    const cookies = res.headers['set-cookie'] as string[];
    expect(cookies[0]).toMatch(/^wallet_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; Secure; SameSite=Strict$/);
    expect(cookies[1]).toMatch(/^wallet_console_login=; Path=\/console; HttpOnly; Secure; SameSite=Strict; Max-Age=0$/);
    const queue = await browser.request('GET', '/console/queue');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`${u.username} (auditor)`);
  });

  it('never sends the user to another site after logging in', async () => {
    const u = await user('auditor');
    for (const next of ['https://evil.example/', '//evil.example/console/', '/console/../x', '/consolex']) {
      const browser = new Browser();
      const token = await browser.csrf(`/console/login?next=${encodeURIComponent(next)}`);
      now += 30_000; // a fresh TOTP step for each login
      const res = await browser.request('POST', `/console/login?next=${encodeURIComponent(next)}`, {
        _csrf: token,
        username: u.username,
        password: u.password,
        totp: totpCode(u.secret, now),
      });
      expect(res.headers.location).toBe('/console/queue');
    }
  });

  it('refuses a login form without its own CSRF cookie and token (login CSRF): 403', async () => {
    const u = await user('auditor');
    const browser = new Browser();
    const creds = { username: u.username, password: u.password, totp: totpCode(u.secret, now) };
    expect((await browser.request('POST', '/console/login', creds)).statusCode).toBe(403);
    const token = await browser.csrf('/console/login');
    expect((await browser.request('POST', '/console/login', { ...creds, _csrf: `${token.slice(1)}x` })).statusCode).toBe(403);
    browser.cookies.delete('wallet_console_login');
    expect((await browser.request('POST', '/console/login', { ...creds, _csrf: token })).statusCode).toBe(403);
    expect(browser.cookies.has('wallet_console')).toBe(false);
  });

  it('a wrong password or code is 401 and says nothing more; repeated failures are 429 with Retry-After', async () => {
    const u = await user('auditor');
    const browser = new Browser();
    const wrong = await browser.login(u.username, 'not the password', u.secret);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong username, password or code.');
    expect(wrong.body).toContain(`value="${u.username}"`);
    expect((await browser.login(u.username, u.password, u.secret, '000000')).statusCode).toBe(401);
    expect((await browser.login('nobody-here', u.password, u.secret)).statusCode).toBe(401);
    // the fourth failure in a row blocks the address: then even the right credentials are refused, unchecked
    expect((await browser.login(u.username, 'wrong again', u.secret)).statusCode).toBe(401);
    const blocked = await browser.login(u.username, u.password, u.secret);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('1');
    expect(blocked.body).toContain('TOO_MANY_ATTEMPTS');
    expect(browser.cookies.has('wallet_console')).toBe(false);
    // once the delay has passed, the right credentials work again
    now += 31_000;
    expect((await browser.login(u.username, u.password, u.secret)).statusCode).toBe(303);
    const failures = await listAudit(db, { limit: 20, action: 'login_failed', subject: u.username });
    expect(failures.map((e) => e.details['reason'])).toEqual(expect.arrayContaining(['bad_password', 'bad_totp', 'throttled']));
  });

  it('a session ends when idle, and at its absolute end even in use: page requests go back to the login page', async () => {
    const { browser } = await loggedIn('auditor');
    now += 14 * 60_000;
    expect((await browser.request('GET', '/console/queue')).statusCode).toBe(200);
    now += 15 * 60_000;
    const idle = await browser.request('GET', '/console/queue');
    expect(idle.statusCode).toBe(303);
    expect(idle.headers.location).toBe('/console/login?next=%2Fconsole%2Fqueue&why=expired');
    expect((await browser.request('GET', idle.headers.location!)).body).toContain('Your session has ended');

    const second = await loggedIn('auditor');
    for (let i = 0; i < 40; i++) {
      now += 12 * 60_000; // used every 12 minutes: never idle
      const res = await second.browser.request('GET', '/console/queue');
      if (res.statusCode !== 200) {
        expect(res.statusCode).toBe(303);
        expect(i * 12).toBeGreaterThanOrEqual(8 * 60 - 12);
        return;
      }
    }
    expect.unreachable('the session outlived its absolute expiry');
  });

  it('logout ends the session on the server and clears the cookie', async () => {
    const { browser } = await loggedIn('auditor');
    const cookie = browser.cookies.get('wallet_console')!;
    const res = await browser.request('POST', '/console/logout', { _csrf: await browser.csrf() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/login?why=logout');
    expect(browser.cookies.has('wallet_console')).toBe(false);
    // the old cookie, replayed, is no session any more
    browser.cookies.set('wallet_console', cookie);
    expect((await browser.request('GET', '/console/queue')).statusCode).toBe(303);
  });
});

describe('CSRF and roles', () => {
  it('a POST without the CSRF token, or with another session’s, is 403 and decides nothing', async () => {
    const { browser } = await loggedIn('auditor');
    const other = await loggedIn('auditor');
    const missing = await browser.request('POST', '/console/withdrawals/wd_1/reject', { reason: 'no' });
    expect(missing.statusCode).toBe(403);
    expect(missing.body).toContain('FORBIDDEN');
    const foreign = await browser.request('POST', '/console/withdrawals/wd_1/reject', { reason: 'no', _csrf: await other.browser.csrf() });
    expect(foreign.statusCode).toBe(403);
    // a token sent twice is refused too, as a malformed form (which one would count?)
    const token = await browser.csrf();
    const twice = await app.inject({
      method: 'POST',
      url: '/console/withdrawals/wd_1/reject',
      headers: {
        cookie: `wallet_console=${browser.cookies.get('wallet_console')!}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `reason=no&_csrf=bad&_csrf=${token}`,
    });
    expect(twice.statusCode).toBe(400);
    // as JSON, or as text/plain: not a form
    const json = await app.inject({
      method: 'POST',
      url: '/console/withdrawals/wd_1/reject',
      headers: { cookie: `wallet_console=${browser.cookies.get('wallet_console')!}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ reason: 'no', _csrf: token }),
    });
    expect(json.statusCode).toBe(415);
    expect(desk.calls).toEqual([]);
    const ok = await browser.request('POST', '/console/withdrawals/wd_1/reject', { reason: 'no', _csrf: token });
    expect(ok.statusCode).toBe(303);
    expect(desk.calls).toHaveLength(1);
  });

  it('an auditor on an admin page or action is 403; an admin sees them', async () => {
    const { browser } = await loggedIn('auditor');
    for (const path of ['users', 'policies', 'whitelist', 'controls']) {
      const res = await browser.request('GET', `/console/admin/${path}`);
      expect(res.statusCode, path).toBe(403);
      expect(res.body).toContain('This page is for admins only.');
    }
    const pause = await browser.request('POST', '/console/admin/controls/pause', { reason: 'x', _csrf: await browser.csrf() });
    expect(pause.statusCode).toBe(403);
    expect(await db('signing_controls').first()).toMatchObject({ paused: 0 });
    expect((await browser.request('GET', '/console/queue')).body).not.toContain('/console/admin/users');

    const admin = await loggedIn('admin');
    for (const path of ['users', 'policies', 'whitelist', 'controls']) {
      expect((await admin.browser.request('GET', `/console/admin/${path}`)).statusCode, path).toBe(200);
    }
  });

  it('an admin is shown no decision forms (the review desk refuses an admin anyway)', async () => {
    const admin = await loggedIn('admin');
    const page = await admin.browser.request('GET', '/console/withdrawals/wd_1');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Admins do not approve or reject withdrawals.');
    expect(page.body).not.toContain('data-testid="approve-form"');
  });
});

describe('the review pages', () => {
  it('the queue shows each withdrawal with its risk, everything escaped', async () => {
    desk.pending = [review('wd_1'), review('wd_2', { destinationIsContract: true, clientDisabled: true, amount: 10n ** 18n })];
    const { browser } = await loggedIn('auditor');
    const res = await browser.request('GET', '/console/queue');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(HOSTILE);
    expect(res.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(res.body).toContain('0.2 ETH');
    expect(res.body).toMatch(
      /data-withdrawal="wd_2"[\s\S]*data-flag="contract"[\s\S]*data-flag="client_disabled"|data-flag="client_disabled"[\s\S]*data-flag="contract"/,
    );
    expect(res.body).toContain('data-flag="new_destination"');
    expect(res.body).toMatch(/<span data-testid="approvals">\s*0 of 1\s*<\/span\s*>/);
  });

  it('amounts are also shown in fiat at the prices transrv keeps, with the age of an old price; none without a price', async () => {
    const { browser } = await loggedIn('auditor');
    const fiatOf = (body: string) => [...body.matchAll(/data-testid="fiat">([^<]*)</g)].map((m) => m[1]);
    expect(fiatOf((await browser.request('GET', '/console/queue')).body)).toEqual(['']);
    await db('fiat_rates').insert({ asset: 'ETH', fiat: 'USD', rate: '2000.5', provider: 'gecko', fetched_at: new Date() });
    await db('fiat_rates').insert({ asset: 'ETH', fiat: 'EUR', rate: '1800', provider: 'gecko', fetched_at: new Date() });
    try {
      expect(fiatOf((await browser.request('GET', '/console/queue')).body)).toEqual(['≈ 400.10 USD']);
      expect(fiatOf((await browser.request('GET', '/console/withdrawals/wd_1')).body)).toEqual(['≈ 400.10 USD']);
      await db('fiat_rates')
        .where({ asset: 'ETH', fiat: 'USD' })
        .update({ fetched_at: new Date(Date.now() - 3 * 3600_000) });
      expect(fiatOf((await browser.request('GET', '/console/queue')).body)).toEqual(['≈ 400.10 USD (price 3 h 0 min old)']);
    } finally {
      await db('fiat_rates').del();
    }
  });

  it('filters are checked: an amount needs an asset, and is read in its unit', async () => {
    const { browser } = await loggedIn('auditor');
    expect((await browser.request('GET', '/console/queue?min=0.1')).statusCode).toBe(400);
    expect((await browser.request('GET', '/console/queue?asset=ETH&min=0.1&max=1&minAge=5')).statusCode).toBe(200);
    expect((await browser.request('GET', '/console/queue?asset=ETH&min=0.1x')).statusCode).toBe(400);
    expect((await browser.request('GET', '/console/queue?unknown=1')).statusCode).toBe(400);
  });

  it('approving sends the localhash the page showed, the comment, and the user as an auditor', async () => {
    const { browser, user: u } = await loggedIn('auditor');
    const page = await browser.request('GET', '/console/withdrawals/wd_1');
    expect(page.body).toContain(`name="localhash" value="${'ab'.repeat(32)}"`);
    const res = await browser.request('POST', '/console/withdrawals/wd_1/approve', {
      _csrf: await browser.csrf(),
      localhash: 'ab'.repeat(32),
      comment: 'checked with the client',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/withdrawals/wd_1?done=approved');
    expect(desk.calls).toEqual([
      {
        action: 'approve',
        by: { id: `user:${u.username}`, role: 'auditor' },
        id: 'wd_1',
        input: { localhash: 'ab'.repeat(32), comment: 'checked with the client' },
      },
    ]);
    expect((await browser.request('GET', res.headers.location!)).body).toContain('Approved: the withdrawal will be signed and sent.');
  });

  it("a refused decision is shown on the withdrawal's page with its status", async () => {
    const { browser } = await loggedIn('auditor');
    desk.refuse = new WalletError('APPROVAL_STALE', 'the withdrawal differs from the one reviewed: not approved');
    const res = await browser.request('POST', '/console/withdrawals/wd_1/approve', {
      _csrf: await browser.csrf(),
      localhash: 'cd'.repeat(32),
    });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('<strong>APPROVAL_STALE</strong>: the withdrawal differs from the one reviewed');
    expect(res.body).toContain('data-testid="approve-form"');
    const blank = await browser.request('POST', '/console/withdrawals/wd_1/reject', { _csrf: await browser.csrf(), reason: '  ' });
    expect(blank.statusCode).toBe(400);
    expect((await browser.request('GET', '/console/withdrawals/wd_nope')).statusCode).toBe(404);
  });
});

describe('the admin pages', () => {
  it('a new user: the password and TOTP secret are shown once, and they log in', async () => {
    const admin = await loggedIn('admin');
    const res = await admin.browser.request('POST', '/console/admin/users', {
      _csrf: await admin.browser.csrf(),
      username: 'Carol',
      role: 'auditor',
    });
    expect(res.statusCode).toBe(201);
    const password = /data-testid="new-password">([^<]+)</.exec(res.body)![1]!;
    const secret = /data-testid="new-totp-secret">([^<]+)</.exec(res.body)![1]!;
    const list = await admin.browser.request('GET', '/console/admin/users');
    expect(list.body).toContain('data-user="carol"');
    expect(list.body).not.toContain(password);
    expect((await new Browser().login('carol', password, secret)).statusCode).toBe(303);
    const created = await listAudit(db, { limit: 1, action: 'user_created', subject: 'carol' });
    expect(created[0]!.actor).toBe(`user:${admin.user.username}`);
  });

  it('a policy is saved with amounts in the asset unit, as a new audited version', async () => {
    const admin = await loggedIn('admin');
    const res = await admin.browser.request('POST', '/console/admin/policies/ETH', {
      _csrf: await admin.browser.csrf(),
      autoApproveBelow: '',
      singleApprovalUpTo: '1.5',
      approvers: '3',
      accountDaily: '10',
      clientDaily: '',
      requireWhitelist: 'on',
      holdSeconds: '60',
    });
    expect(res.statusCode).toBe(303);
    const policy = await currentPolicy(db, 'ETH');
    expect(policy.rules).toEqual({
      singleApprovalUpTo: 1_500_000_000_000_000_000n,
      approvers: 3,
      accountDaily: 10n * 10n ** 18n,
      requireWhitelist: true,
      holdSeconds: 60,
    });
    expect(policy.createdBy).toBe(`user:${admin.user.username}`);
    const page = await admin.browser.request('GET', '/console/admin/policies?done=ETH');
    expect(page.body).toMatch(/name="singleApprovalUpTo"[^>]*value="1.5"/);
    const bad = await admin.browser.request('POST', '/console/admin/policies/ETH', {
      _csrf: await admin.browser.csrf(),
      approvers: '1',
      holdSeconds: '0',
    });
    expect(bad.statusCode).toBe(400);
    expect((await currentPolicy(db, 'ETH')).id).toBe(policy.id);
  });

  it('the kill switch and the cooling-off, with the banner on every page while paused', async () => {
    const admin = await loggedIn('admin');
    const csrf = await admin.browser.csrf();
    expect((await admin.browser.request('POST', '/console/admin/controls/pause', { _csrf: csrf, reason: 'incident 42' })).statusCode).toBe(
      303,
    );
    const { browser } = await loggedIn('auditor');
    expect((await browser.request('GET', '/console/queue')).body).toContain(
      `Signing is paused (kill switch) by user:${admin.user.username}: incident 42`,
    );
    expect((await admin.browser.request('POST', '/console/admin/controls/resume', { _csrf: csrf, reason: 'over' })).statusCode).toBe(303);
    expect((await browser.request('GET', '/console/queue')).body).not.toContain('Signing is paused');
    expect(
      (await admin.browser.request('POST', '/console/admin/controls/cooling-off', { _csrf: csrf, whitelistCoolingOffSeconds: '3' }))
        .statusCode,
    ).toBe(303);
    expect(await db('signing_controls').first()).toMatchObject({ paused: 0, whitelist_cooling_off_s: 3 });
  });

  it('an asset halted by reconciliation is shown and released by an admin only, with a reason', async () => {
    await haltAsset(db, appendAudit, 'reconciliation', 'USDT', 'reconciliation: short by 5', 5n, new Date('2026-01-01T00:00:00Z'));
    const { browser } = await loggedIn('auditor');
    const byAuditor = await browser.request('POST', '/console/admin/controls/assets/USDT/release', {
      _csrf: await browser.csrf(),
      reason: 'x',
    });
    expect(byAuditor.statusCode).toBe(403);
    const admin = await loggedIn('admin');
    const page = await admin.browser.request('GET', '/console/admin/controls');
    expect(page.body).toContain('USDT halted');
    expect(page.body).toContain('/console/admin/controls/assets/USDT/release');
    const csrf = await admin.browser.csrf();
    const noReason = await admin.browser.request('POST', '/console/admin/controls/assets/USDT/release', { _csrf: csrf, reason: ' ' });
    expect(noReason.statusCode).toBe(400);
    expect((await assetHalts(db)).find((h) => h.asset === 'USDT')).toMatchObject({ halted: true });
    const released = await admin.browser.request('POST', '/console/admin/controls/assets/USDT/release', {
      _csrf: csrf,
      reason: 'refilled',
    });
    expect(released.statusCode).toBe(303);
    expect((await assetHalts(db)).find((h) => h.asset === 'USDT')).toMatchObject({
      halted: false,
      releasedBy: `user:${admin.user.username}`,
    });
    expect((await admin.browser.request('GET', '/console/admin/controls')).body).not.toContain('USDT halted');
    const again = await admin.browser.request('POST', '/console/admin/controls/assets/USDT/release', { _csrf: csrf, reason: 'twice' });
    expect(again.statusCode).toBe(409);
  });

  it('the treasury: tiers and moves shown; a contract call asked and decided by other admins only, with CSRF; bad input records nothing', async () => {
    await db('hot_wallets').insert({ chain: 'eth', address: '0x1111111111111111111111111111111111111111' }).onConflict('chain').merge();
    await db('treasury_tiers')
      .insert({
        asset: 'ETH',
        chain: 'eth',
        cap: '500',
        floor: '100',
        cold_address: '0x2222222222222222222222222222222222222222',
        last_hot: '50',
        below_floor_since: new Date(now - 60_000),
      })
      .onConflict('asset')
      .merge();
    const { browser: auditor } = await loggedIn('auditor');
    expect((await auditor.request('GET', '/console/admin/treasury')).statusCode).toBe(403);
    const alice = await loggedIn('admin');
    const page = await alice.browser.request('GET', '/console/admin/treasury');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('0x2222222222222222222222222222222222222222');
    expect(page.body).toContain('data-testid="below-floor"');
    const moves = async () =>
      db('treasury_moves').where({ kind: 'contract_call' }).select<{ id: string; status: string }[]>('id', 'status');
    const before = (await moves()).length;
    const csrf = await alice.browser.csrf('/console/admin/treasury');
    // bad input: odd hex, a wrong checksum, a creation without code, a negative value, another chain, no CSRF
    for (const form of [
      { chain: 'eth', to: '', value: '0', data: '0x123' },
      { chain: 'eth', to: '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', value: '0', data: '0x' },
      { chain: 'eth', to: '', value: '0', data: '0x' },
      { chain: 'eth', to: '', value: '-1', data: '0x6000' },
      { chain: 'ltc', to: '', value: '0', data: '0x6000' },
    ]) {
      const res = await alice.browser.request('POST', '/console/admin/treasury/calls', { _csrf: csrf, ...form, note: HOSTILE });
      expect(res.statusCode, JSON.stringify(form)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, JSON.stringify(form)).toBeLessThan(500);
    }
    expect(
      (await alice.browser.request('POST', '/console/admin/treasury/calls', { chain: 'eth', to: '', value: '0', data: '0x6000' }))
        .statusCode,
    ).toBe(403);
    expect((await moves()).length).toBe(before);
    const asked = await alice.browser.request('POST', '/console/admin/treasury/calls', {
      _csrf: csrf,
      chain: 'eth',
      to: '',
      value: '0',
      data: '0x6000',
      note: HOSTILE,
    });
    expect(asked.statusCode).toBe(303);
    const [move] = (await moves()).slice(before);
    expect(move).toMatchObject({ status: 'pending_review' });
    const shown = await alice.browser.request('GET', '/console/admin/treasury');
    expect(shown.body).toContain(`data-move="${move!.id}"`);
    expect(shown.body).not.toContain(HOSTILE);
    // the requester cannot decide it; two other admins approve it (the second completes it)
    const own = await alice.browser.request('POST', `/console/admin/treasury/moves/${move!.id}/approve`, { _csrf: csrf });
    expect(own.statusCode).toBe(403);
    const byAuditor = await auditor.request('POST', `/console/admin/treasury/moves/${move!.id}/approve`, { _csrf: await auditor.csrf() });
    expect(byAuditor.statusCode).toBe(403);
    const bob = await loggedIn('admin');
    const bobCsrf = await bob.browser.csrf('/console/admin/treasury');
    expect((await bob.browser.request('POST', `/console/admin/treasury/moves/${move!.id}/approve`, { _csrf: bobCsrf })).statusCode).toBe(
      303,
    );
    expect((await bob.browser.request('POST', `/console/admin/treasury/moves/${move!.id}/approve`, { _csrf: bobCsrf })).statusCode).toBe(
      409,
    );
    expect((await db('treasury_moves').where({ id: move!.id }).first()).status).toBe('pending_review');
    const carol = await loggedIn('admin');
    const carolCsrf = await carol.browser.csrf('/console/admin/treasury');
    expect(
      (await carol.browser.request('POST', `/console/admin/treasury/moves/${move!.id}/reject`, { _csrf: carolCsrf, reason: ' ' }))
        .statusCode,
    ).toBe(400);
    expect(
      (await carol.browser.request('POST', `/console/admin/treasury/moves/${move!.id}/approve`, { _csrf: carolCsrf })).statusCode,
    ).toBe(303);
    expect((await db('treasury_moves').where({ id: move!.id }).first()).status).toBe('approved');
    // decided: a rejection now is a conflict; the audit log has the request and both approvals
    expect(
      (await carol.browser.request('POST', `/console/admin/treasury/moves/${move!.id}/reject`, { _csrf: carolCsrf, reason: 'late' }))
        .statusCode,
    ).toBe(409);
    const actions = (await listAudit(db, { subject: move!.id, limit: 50 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['treasury_move_requested', 'treasury_move_approved']));
    expect(actions.filter((a) => a === 'treasury_move_approved')).toHaveLength(2);
  });

  it('a whitelist entry is added for a client and removed', async () => {
    const admin = await loggedIn('admin');
    const address = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    const res = await admin.browser.request('POST', '/console/admin/whitelist', {
      _csrf: await admin.browser.csrf(),
      clientId,
      chain: 'eth',
      address,
      label: 'cold storage <b>',
    });
    expect(res.statusCode).toBe(303);
    const page = await admin.browser.request('GET', res.headers.location!);
    expect(page.body).toContain(`data-address="${address}"`);
    expect(page.body).toContain('cold storage &lt;b&gt;');
    const entry = /data-entry="([0-9]+)"/.exec(page.body)![1]!;
    const removed = await admin.browser.request('POST', `/console/admin/whitelist/${entry}/remove`, { _csrf: await admin.browser.csrf() });
    expect(removed.statusCode).toBe(303);
    expect((await admin.browser.request('GET', '/console/admin/whitelist')).body).not.toContain(`data-address="${address}"`);
    const bad = await admin.browser.request('POST', '/console/admin/whitelist', {
      _csrf: await admin.browser.csrf(),
      clientId,
      chain: 'eth',
      address: '0xnot-an-address',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('INVALID_ADDRESS');
  });

  it('the audit log lists the entries and verifies the chain', async () => {
    const { browser } = await loggedIn('auditor');
    const page = await browser.request('GET', '/console/audit?action=login');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<code>login</code>');
    const verified = await browser.request('POST', '/console/audit/verify', { _csrf: await browser.csrf() });
    expect(verified.statusCode).toBe(200);
    expect(verified.body).toMatch(/The chain is intact: [0-9]+ entries/);
  });
});

describe('history, alarms and users', () => {
  it('history lists decided withdrawals with their decision and reason, escaped', async () => {
    desk.decided = [
      review('wd_9', { decision: 'rejected', status: 'rejected', reason: HOSTILE, decidedBy: 'user:ann', decidedAt: new Date(now) }),
    ];
    const { browser } = await loggedIn('auditor');
    const res = await browser.request('GET', '/console/history?decision=rejected&status=rejected');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-withdrawal="wd_9"');
    expect(res.body).not.toContain(HOSTILE);
    expect((await browser.request('GET', '/console/history?status=nonsense')).statusCode).toBe(400);
  });

  it('alarms: listed until acknowledged with a comment, once', async () => {
    await db('alert_acks').delete();
    await db('sign_alerts').delete();
    await raiseAlert(db, log, AlertKind.buildFailed, 'wd_1', { cause: 'gas_estimate_failed', message: HOSTILE });
    const { browser, user: u } = await loggedIn('auditor');
    const open = await browser.request('GET', '/console/alarms');
    const id = /data-alarm="(s:[0-9]+)"/.exec(open.body)![1]!;
    expect(open.body).not.toContain(HOSTILE);
    const ack = await browser.request('POST', `/console/alarms/${encodeURIComponent(id)}/ack`, {
      _csrf: await browser.csrf(),
      comment: 'gas fixed',
    });
    expect(ack.statusCode).toBe(303);
    expect((await browser.request('GET', '/console/alarms')).body).toContain('data-testid="alarms-empty"');
    const done = await browser.request('GET', '/console/alarms?state=acknowledged');
    expect(done.body).toContain(`data-alarm="${id}"`);
    expect(done.body).toContain(`user:${u.username}`);
    const again = await browser.request('POST', `/console/alarms/${encodeURIComponent(id)}/ack`, {
      _csrf: await browser.csrf(),
      comment: 'other',
    });
    expect(again.statusCode).toBe(409);
    const empty = await browser.request('POST', `/console/alarms/${encodeURIComponent(id)}/ack`, {
      _csrf: await browser.csrf(),
      comment: ' ',
    });
    expect(empty.statusCode).toBe(400);
  });

  it("an admin disables a user (its session ends) and resets another's password and code (shown once, they log in)", async () => {
    const admin = await loggedIn('admin');
    const target = await loggedIn('auditor');
    const csrf = await admin.browser.csrf();
    expect((await admin.browser.request('POST', `/console/admin/users/${target.user.id}/disable`, { _csrf: csrf })).statusCode).toBe(303);
    expect((await target.browser.request('GET', '/console/queue')).statusCode).toBe(303);
    expect((await admin.browser.request('POST', `/console/admin/users/${target.user.id}/enable`, { _csrf: csrf })).statusCode).toBe(303);
    const reset = await admin.browser.request('POST', `/console/admin/users/${target.user.id}/reset`, { _csrf: csrf });
    expect(reset.statusCode).toBe(200);
    const password = /data-testid="new-password">([^<]+)</.exec(reset.body)![1]!;
    const secret = /data-testid="new-totp-secret">([^<]+)</.exec(reset.body)![1]!;
    now += 30_000;
    expect((await new Browser().login(target.user.username, target.user.password, target.user.secret)).statusCode).toBe(401);
    expect((await new Browser().login(target.user.username, password, secret)).statusCode).toBe(303);
    const role = await admin.browser.request('POST', `/console/admin/users/${target.user.id}/role`, { _csrf: csrf, role: 'admin' });
    expect(role.statusCode).toBe(303);
    expect((await auth.getUser(target.user.id)).role).toBe('admin');
  });
});
