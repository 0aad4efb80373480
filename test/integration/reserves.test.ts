import { randomUUID } from 'node:crypto';
import { WalletClient, type ReservesProof, type WalletApiError, isWalletApiError } from '@wallet/client';
import { accountCommitment, verifySumProof } from '@wallet/reserves';
import { parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDeployer, anvilProvider, mined } from '../contracts/deploy.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { waitFor } from '../harness/waitFor.js';

// Proof of reserves through the whole cluster (gatesrv, accountsrv, transrv t1 and t2, signsrv): accounts of two
// clients with ETH on both nodes, a report made with `walletctl reserves report`, every account's proof fetched with
// the SDK through the gateway and verified with @wallet/reserves alone, and the documented 4xx answers.

type Report = {
  id: string;
  root: string;
  total: string;
  leafCount: number;
  holdings: { kind: string; address: string; balance: string | null }[];
};

let cluster: Cluster;
let fixtures: LedgerFixtures;
let alice: WalletClient;
let bob: WalletClient;
/** Funded accounts: id -> client and what it was given. */
const funded = new Map<string, { client: WalletClient; amount: bigint }>();
let unfunded: string;
let depositAddress: string;

async function open(client: WalletClient, amount: bigint): Promise<string> {
  const account = await client.accounts.create({ externalId: `user-${randomUUID()}` });
  await fixtures.fund(account.id, 'ETH', amount);
  funded.set(account.id, { client, amount });
  return account.id;
}

async function report(...args: string[]): Promise<Report> {
  const { code, out, err } = await walletctl(cluster, 'reserves', 'report', ...args, '--json');
  expect(code, err.join('\n')).toBe(0);
  return JSON.parse(out.join('\n')) as Report;
}

async function failure(promise: Promise<unknown>): Promise<WalletApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isWalletApiError(error)) throw new Error(`expected a WalletApiError, got ${String(error)}`);
  return error;
}

/** Checks a proof as an outside client would: its own commitment, the path, and the published root and total. */
function verifies(accountId: string, proof: ReservesProof, published: Report): boolean {
  return (
    proof.reportId === published.id &&
    proof.root === published.root &&
    proof.total === published.total &&
    proof.accountId === accountId &&
    accountCommitment(accountId, proof.salt) === proof.leaf.commitment &&
    verifySumProof(
      proof.leaf.commitment,
      BigInt(proof.leaf.balance),
      proof.path.map((s) => ({ hash: s.hash, sum: BigInt(s.sum), side: s.side })),
      published.root,
      BigInt(published.total),
    )
  );
}

beforeAll(async () => {
  cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  const sdk = async (name: string) => new WalletClient({ baseUrl: cluster.gatewayUrl, ...(await createApiClient(cluster, name)) });
  alice = await sdk('Exchange Alice');
  bob = await sdk('Exchange Bob');
  for (let i = 0; i < 9; i++) await open(alice, 10n ** 17n * BigInt(i + 1) + BigInt(i));
  for (let i = 0; i < 4; i++) await open(bob, 3n * 10n ** 16n + BigInt(i));
  unfunded = (await alice.accounts.create({ externalId: `user-${randomUUID()}` })).id;
  // a deposit address holding coins on anvil: listed with its on-chain balance in the report's holdings
  const [first] = funded.keys();
  depositAddress = (await alice.addresses.create(first!, { chain: 'eth' })).address;
  await mined(anvilDeployer(anvilProvider()).sendTransaction({ to: depositAddress, value: parseEther('0.5') }));
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  expect((await walletctl(cluster, 'ledger', 'check')).code).toBe(0);
  await fixtures?.close();
  await cluster?.stop();
});

it('has accounts of both clients on both transrv nodes', async () => {
  const nodes = new Set<string>();
  for (const id of funded.keys()) nodes.add(await fixtures.nodeOf(id));
  expect([...nodes].sort()).toEqual(['t1', 't2']);
});

it('answers 404 RESERVES_PROOF_NOT_FOUND (no_report) before any report of the asset', async () => {
  const [id] = funded.keys();
  const e = await failure(alice.accounts.reservesProof(id!, 'ETH'));
  expect([e.status, e.code, e.details]).toEqual([404, 'RESERVES_PROOF_NOT_FOUND', { reason: 'no_report', asset: 'ETH' }]);
});

describe('a report made with walletctl', () => {
  let published: Report;

  beforeAll(async () => {
    published = await report('--asset', 'ETH');
  });

  it('covers every funded account, with the total owed', () => {
    expect(published.leafCount).toBe(funded.size);
    expect(BigInt(published.total)).toBe([...funded.values()].reduce((a, f) => a + f.amount, 0n));
    expect(published.root).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lists the deposit address with the balance the chain's node answered", () => {
    const held = published.holdings.find((h) => h.address.toLowerCase() === depositAddress.toLowerCase());
    expect(held).toMatchObject({ kind: 'deposit' });
    expect(BigInt(held!.balance!)).toBeGreaterThanOrEqual(parseEther('0.5'));
  });

  it('gives every account a proof, through the gateway, that verifies against the published root and total', async () => {
    const salts = new Map<WalletClient, Set<string>>();
    for (const [id, { client, amount }] of funded) {
      const proof = await client.accounts.reservesProof(id, 'ETH');
      expect(proof.leaf.balance).toBe(amount.toString());
      expect(verifies(id, proof, published), id).toBe(true);
      // the same proof with one more wei in the leaf does not verify
      expect(verifies(id, { ...proof, leaf: { ...proof.leaf, balance: (amount + 1n).toString() } }, published)).toBe(false);
      (salts.get(client) ?? salts.set(client, new Set()).get(client)!).add(proof.salt);
    }
    // one salt per client, and the two clients' differ
    expect([...salts.values()].map((s) => s.size)).toEqual([1, 1]);
    expect(salts.get(alice)).not.toEqual(salts.get(bob));
  });

  it('answers the documented 4xx: an account without a leaf, another client’s account, an unknown account or asset', async () => {
    const [aliceAccount] = funded.keys();
    const bobAccount = [...funded].find(([, f]) => f.client === bob)![0];
    const cases: [() => Promise<unknown>, number, string][] = [
      [() => alice.accounts.reservesProof(unfunded, 'ETH'), 404, 'RESERVES_PROOF_NOT_FOUND'],
      [() => alice.accounts.reservesProof(bobAccount, 'ETH'), 404, 'ACCOUNT_NOT_FOUND'],
      [() => alice.accounts.reservesProof('acc_01JD3V0000000000000000000Z', 'ETH'), 404, 'ACCOUNT_NOT_FOUND'],
      [() => alice.accounts.reservesProof(aliceAccount!, 'LTC'), 404, 'RESERVES_PROOF_NOT_FOUND'],
      [() => alice.accounts.reservesProof(aliceAccount!, 'DOGE'), 422, 'UNSUPPORTED_ASSET'],
      [() => alice.accounts.reservesProof(aliceAccount!, 'eth'), 400, 'VALIDATION_FAILED'],
    ];
    for (const [call, status, code] of cases) {
      const e = await failure(call());
      expect([e.status, e.code]).toEqual([status, code]);
    }
    expect((await failure(alice.accounts.reservesProof(unfunded, 'ETH'))).details).toMatchObject({ reason: 'no_leaf' });
  });

  it('refuses a report of an asset nobody holds, and one with no asset', async () => {
    await expect(walletctl(cluster, 'reserves', 'report', '--asset', 'LTC')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'no_liabilities' },
    });
    await expect(walletctl(cluster, 'reserves', 'report')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(walletctl(cluster, 'reserves', 'report', '--asset', 'DOGE')).rejects.toMatchObject({ code: 'UNSUPPORTED_ASSET' });
  });
});

it('serves the latest report: after a transfer between nodes, a new report and new proofs', async () => {
  const ids = [...funded].filter(([, f]) => f.client === alice).map(([id]) => id);
  const from = ids[0]!;
  let to = ids[1]!;
  for (const id of ids) if ((await fixtures.nodeOf(id)) !== (await fixtures.nodeOf(from))) to = id;
  await alice.transfers.create({ from, to, asset: 'ETH', amount: 12345n });
  funded.get(from)!.amount -= 12345n;
  funded.get(to)!.amount += 12345n;
  // whether or not the credit has been delivered yet, the receiver is owed it
  const latest = await report('--asset', 'ETH');
  // what operators publish: the latest report first, with the root and total the proofs lead to
  const listed = await walletctl(cluster, 'reserves', 'list', '--asset', 'ETH', '--json');
  const published = JSON.parse(listed.out.join('\n')) as Report[];
  expect(published.map((r) => [r.id, r.root, r.total])[0]).toEqual([latest.id, latest.root, latest.total]);
  expect(published).toHaveLength(2);
  for (const [id, { client, amount }] of funded) {
    const proof = await client.accounts.reservesProof(id, 'ETH');
    expect(proof.leaf.balance).toBe(amount.toString());
    expect(verifies(id, proof, latest), id).toBe(true);
  }
  await waitFor('the transfer credited on the other node', async () =>
    (await alice.transfers.list({ account: from }).toArray()).every((t) => t.status === 'completed') ? true : undefined,
  );
});
