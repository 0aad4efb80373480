import { appendAudit } from '@wallet/audit';
import { ConsoleAuth, type ConsoleRole, totpCode, totpStep } from '@wallet/console-auth';
import { createLogger } from '@wallet/logger';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext, screenshot } from '../harness/browser.js';
import { waitFor } from '../harness/waitFor.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';

// The auditors' console in a real browser (Debian's Chromium, headless, through playwright-core) against a whole
// cluster on the stack's anvil: console users are created in the cluster's database as `walletctl console
// create-admin` does, and log in with their password and a TOTP code computed here as their phone would.

type ConsoleUser = { username: string; password: string; secret: string; lastStep: number };

let world: WithdrawalWorld;
let browser: Browser;
let base: string;
let clientId: string;
const users = new Map<string, ConsoleUser>();
const contexts: BrowserContext[] = [];
const ETH = 10n ** 18n;

/** A TOTP code the server has not seen yet for this user (each code counts once; a step ahead is within the window). */
async function nextCode(user: ConsoleUser): Promise<string> {
  let step = Math.max(totpStep(Date.now()), user.lastStep + 1);
  while (step > totpStep(Date.now()) + 1) {
    await new Promise((r) => setTimeout(r, 1000));
    step = Math.max(totpStep(Date.now()), user.lastStep + 1);
  }
  user.lastStep = step;
  return totpCode(user.secret, step * 30_000);
}

/** A laptop (or phone) browser logged in as `name`, through the login page. */
async function loggedIn(name: string, size: 'laptop' | 'phone' = 'laptop'): Promise<Page> {
  const user = users.get(name)!;
  const context = await newContext(browser, size);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${base}/queue`);
  // no session: sent to the login page, which remembers where we were going
  expect(new URL(page.url()).pathname).toBe('/console/login');
  await page.fill('input[name=username]', user.username);
  await page.fill('input[name=password]', user.password);
  await page.fill('input[name=totp]', await nextCode(user));
  await page.click('button:has-text("Log in")');
  await page.waitForURL(`${base}/queue`);
  await expect.poll(() => page.textContent('[data-testid=whoami]')).toContain(user.username);
  return page;
}

/** The same session on a phone's screen (the cookies copied: one login), for screenshots. */
async function onPhone(page: Page): Promise<Page> {
  const context = await newContext(browser, 'phone', { storageState: await page.context().storageState() });
  contexts.push(context);
  return context.newPage();
}

/** Reloads the queue until the withdrawal is in it. */
async function waitInQueue(page: Page, id: string): Promise<void> {
  await waitFor(`${id} in the review queue`, async () => {
    await page.goto(`${base}/queue`);
    return (await page.locator(`tr[data-withdrawal="${id}"]`).count()) > 0 ? true : undefined;
  });
}

/** Reloads a withdrawal's page until it shows `status`, mining blocks meanwhile (confirmations need them). */
async function waitPageStatus(page: Page, id: string, status: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `${id} shown ${status}`,
    async () => {
      await page.goto(`${base}/withdrawals/${id}`);
      const shown = (await page.locator('h1 [data-testid=status]').textContent())?.trim();
      if (shown === status.replace('_', ' ')) return true;
      await world.mine(1);
      return undefined;
    },
    timeoutMs,
  );
}

async function withdraw(asset: string, amount: bigint, to = WithdrawalWorld.freshAddress()): Promise<string> {
  const account = await world.fundedAccount({ [asset]: amount * 3n });
  const res = await world.withdraw(account, { asset, to, amount: amount.toString() });
  expect(res.status).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  world = await WithdrawalWorld.start();
  base = `${world.cluster.signsrvUrl}/console`;
  browser = await launchBrowser();
  const auth = new ConsoleAuth({ db: world.fixtures.db, log: createLogger('console-test', { level: 'silent' }), audit: appendAudit });
  const create = async (username: string, role: ConsoleRole) => {
    const issued = await auth.createUser({ username, role, createdBy: 'walletctl:test' });
    users.set(username, { username, password: issued.password, secret: issued.totpSecret, lastStep: 0 });
  };
  await create('root', 'admin');
  await create('ann', 'auditor');
  await create('bob', 'auditor');
  const row = await world.fixtures.db('clients').where({ key_id: world.api.credentials.keyId }).first<{ id: string }>('id');
  clientId = row.id;
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

describe('the auditors console in a browser', { timeout: 240_000 }, () => {
  let ann: Page;
  let bob: Page;
  let admin: Page;

  it('logs in with password and TOTP: the session cookie is HttpOnly, Secure, SameSite=Strict, on /console only', async () => {
    ann = await loggedIn('ann');
    const cookies = await ann.context().cookies();
    const session = cookies.find((c) => c.name === 'wallet_console');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/console' });
    // no script can read it
    expect(await ann.evaluate('document.cookie')).toBe('');
    // a wrong code is refused with the same words as a wrong password
    const other = await newContext(browser, 'laptop');
    contexts.push(other);
    const page = await other.newPage();
    await page.goto(`${base}/login`);
    await page.fill('input[name=username]', 'bob');
    await page.fill('input[name=password]', users.get('bob')!.password);
    await page.fill('input[name=totp]', '000000');
    await page.click('button:has-text("Log in")');
    await expect.poll(() => page.textContent('.banner.error')).toContain('Wrong username, password or code.');
    expect((await other.cookies()).some((c) => c.name === 'wallet_console')).toBe(false);
  });

  it('shows a pending withdrawal in the queue; approving it moves it to confirmed', async () => {
    const id = await withdraw('ETH', 2n * 10n ** 17n);
    await waitInQueue(ann, id);
    const row = ann.locator(`tr[data-withdrawal="${id}"]`);
    expect(await row.textContent()).toContain('0.2 ETH');
    expect(await row.locator('[data-flag=new_destination]').count()).toBe(1);
    expect((await row.locator('[data-testid=approvals]').textContent())?.trim()).toBe('0 of 1');
    await screenshot(ann, 'console-queue-laptop');
    const phone = await onPhone(ann);
    await phone.goto(`${base}/queue`);
    await screenshot(phone, 'console-queue-phone');

    await row.locator(`a:has-text("${id}")`).click();
    await ann.waitForURL(`${base}/withdrawals/${id}`);
    expect((await ann.textContent('[data-testid=amount]'))?.trim()).toBe('0.2 ETH');
    await screenshot(ann, 'console-withdrawal-laptop');
    await phone.goto(`${base}/withdrawals/${id}`);
    await screenshot(phone, 'console-withdrawal-phone');

    await ann.fill('form[data-testid=approve-form] textarea[name=comment]', 'known customer, checked');
    await ann.click('form[data-testid=approve-form] button[type=submit]');
    await ann.waitForURL(`${base}/withdrawals/${id}?done=approved`);
    expect(await ann.textContent('.banner.ok')).toContain('Approved');
    await waitPageStatus(ann, id, 'confirmed');
    expect(await ann.locator('[data-testid=approvals-list]').textContent()).toContain('known customer, checked');
    const confirmed = await world.get(id);
    expect(confirmed.status).toBe('confirmed');
    expect(await world.provider.getBalance(confirmed.to)).toBe(2n * 10n ** 17n);
  });

  it('an admin sets a 2-approver policy; the second auditor completes the withdrawal', async () => {
    admin = await loggedIn('root');
    await admin.goto(`${base}/admin/policies`);
    const eth = admin.locator('section[data-asset=ETH]');
    await eth.locator('input[name=singleApprovalUpTo]').fill('1');
    await eth.locator('input[name=approvers]').fill('2');
    await eth.locator('button[type=submit]').click();
    await admin.waitForURL(`${base}/admin/policies?done=ETH`);
    expect(await admin.locator('section[data-asset=ETH] [data-testid=policy-summary]').textContent()).toContain('then 2');
    await screenshot(admin, 'console-policies-laptop');
    const phone = await onPhone(admin);
    await phone.goto(`${base}/admin/policies`);
    await screenshot(phone, 'console-policies-phone');
    // an admin decides nothing
    expect(await admin.locator('nav a:has-text("Users")').count()).toBe(1);

    const id = await withdraw('ETH', 2n * ETH);
    await waitInQueue(ann, id);
    expect((await ann.locator(`tr[data-withdrawal="${id}"] [data-testid=approvals]`).textContent())?.trim()).toBe('0 of 2');
    await ann.goto(`${base}/withdrawals/${id}`);
    expect(await ann.textContent('form[data-testid=approve-form] button[type=submit]')).toContain('Approve (1 of 2)');
    await ann.click('form[data-testid=approve-form] button[type=submit]');
    await ann.waitForURL(`${base}/withdrawals/${id}?done=approval_added`);
    expect(await ann.textContent('[data-testid=already-approved]')).toContain('another auditor must');
    expect((await world.get(id)).status).toBe('pending_review');

    bob = await loggedIn('bob');
    await bob.goto(`${base}/withdrawals/${id}`);
    expect(await bob.textContent('form[data-testid=approve-form] button[type=submit]')).toMatch(/^\s*Approve\s*$/);
    await bob.fill('form[data-testid=approve-form] textarea[name=comment]', 'second pair of eyes');
    await bob.click('form[data-testid=approve-form] button[type=submit]');
    await bob.waitForURL(`${base}/withdrawals/${id}?done=approved`);
    await waitPageStatus(bob, id, 'confirmed');
    const approvers = await bob.locator('[data-testid=approvals-list] tbody tr').allTextContents();
    expect(approvers.map((t) => /user:(ann|bob)/.exec(t)?.[1])).toEqual(['ann', 'bob']);
  });

  it('rejects with a reason: the client sees it rejected with the reason', async () => {
    const id = await withdraw('ETH', 10n ** 17n);
    await waitInQueue(bob, id);
    await bob.goto(`${base}/withdrawals/${id}`);
    await bob.fill('form[data-testid=reject-form] textarea[name=reason]', 'destination flagged by compliance');
    await bob.click('form[data-testid=reject-form] button[type=submit]');
    await bob.waitForURL(`${base}/withdrawals/${id}?done=rejected`);
    await waitPageStatus(bob, id, 'rejected');
    expect(await bob.locator('[data-testid=trail]').textContent()).toContain('destination flagged by compliance');
    expect(await world.get(id)).toMatchObject({ status: 'rejected', reason: 'destination flagged by compliance' });
  });

  it('a whitelist entry an admin adds is usable only after the cooling-off', async () => {
    // USDT: only whitelisted destinations; new entries usable after 5 s
    await admin.goto(`${base}/admin/policies`);
    const usdt = admin.locator('section[data-asset=USDT]');
    await usdt.locator('input[name=requireWhitelist]').check();
    await usdt.locator('button[type=submit]').click();
    await admin.waitForURL(`${base}/admin/policies?done=USDT`);
    await admin.goto(`${base}/admin/controls`);
    await admin.fill('input[name=whitelistCoolingOffSeconds]', '5');
    await admin.click('form:has(input[name=whitelistCoolingOffSeconds]) button[type=submit]');
    await admin.waitForURL(`${base}/admin/controls?done=cooling`);

    const to = WithdrawalWorld.freshAddress();
    const id = await withdraw('USDT', 5_000_000n, to);
    await waitInQueue(ann, id);
    await ann.goto(`${base}/withdrawals/${id}`);
    expect(await ann.textContent('[data-testid=whitelist]')).toContain('not whitelisted (required by the policy)');
    await ann.click('form[data-testid=approve-form] button[type=submit]');
    expect(await ann.textContent('.banner.error')).toContain('DESTINATION_NOT_WHITELISTED');

    await admin.goto(`${base}/admin/whitelist`);
    const add = admin.locator('form[data-testid=whitelist-add]');
    await add.locator('select[name=clientId]').selectOption(clientId);
    await add.locator('select[name=chain]').selectOption('eth');
    await add.locator('input[name=address]').fill(to);
    await add.locator('input[name=label]').fill('customer cold wallet');
    await add.locator('button[type=submit]').click();
    await admin.waitForURL(/\/console\/admin\/whitelist\?.*done=added/);
    const entry = admin.locator(`tr[data-address="${to}"]`);
    expect(await entry.textContent()).toContain('cooling off');
    expect(await entry.locator('[data-testid=usable-at]').textContent()).toMatch(/from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

    // at once: still cooling off, refused
    await ann.goto(`${base}/withdrawals/${id}`);
    expect(await ann.textContent('[data-testid=whitelist]')).toContain('usable from');
    await ann.click('form[data-testid=approve-form] button[type=submit]');
    expect(await ann.textContent('.banner.error')).toContain('DESTINATION_NOT_WHITELISTED');
    expect((await world.get(id)).status).toBe('pending_review');

    // after the cooling-off: approved and paid
    await new Promise((r) => setTimeout(r, 5_500));
    await ann.goto(`${base}/withdrawals/${id}`);
    expect((await ann.textContent('[data-testid=whitelist]'))?.trim()).toBe('whitelisted (required by the policy)');
    await ann.click('form[data-testid=approve-form] button[type=submit]');
    await ann.waitForURL(`${base}/withdrawals/${id}?done=approved`);
    await waitPageStatus(ann, id, 'confirmed');
    expect(await world.usdt.balanceOf(to)).toBe(5_000_000n);
  });

  it('the audit log has every step, and its chain verifies', async () => {
    await admin.goto(`${base}/audit`);
    const actions = await admin.locator('[data-testid=audit] tbody td[data-label=Action]').allTextContents();
    for (const action of ['login', 'policy_changed', 'whitelist_added', 'controls_changed', 'withdrawal_approved', 'withdrawal_rejected']) {
      expect(actions.map((a) => a.trim())).toContain(action);
    }
    await admin.click('button:has-text("Verify the chain")');
    expect(await admin.textContent('[data-testid=verify-result]')).toMatch(/The chain is intact: [0-9]+ entries/);
    // the newest entries: the whole log would be a very long picture
    await screenshot(admin, 'console-audit-laptop', { fullPage: false });
    const phone = await onPhone(admin);
    await phone.goto(`${base}/audit`);
    await screenshot(phone, 'console-audit-phone', { fullPage: false });
  });
});
