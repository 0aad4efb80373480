import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RegistryInput, devRegistryInput } from '@wallet/assets';
import { JsonRpcProvider, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANVIL_RPC_URL, mined } from '../contracts/deploy.js';
import { Litecoind, ltcRpcUrl } from '../harness/litecoind.js';
import { repoRoot } from '../harness/repoRoot.js';
import { freePort } from '../harness/freePort.js';
import { waitFor } from '../harness/waitFor.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { type AnvilProcess, startAnvil } from '@wallet/testkit';

// The sandbox recipe's commands (docs/sandbox.md), run as an operator runs them: `walletctl dev` as a process against a
// cluster on the stack's anvil and litecoind; and their refusal of chains that are not development chains.

type Deposit = { id: string; asset: string; txid: string; outputIndex: number; amount: string; status: string; confirmations: number };
type Where = {
  kind: string;
  id: string;
  status: string;
  asset: string;
  amount: string;
  txid: string | null;
  outputIndex: number | null;
  block: { number: number; hash: string } | null;
  confirmations: { counted: number | null; required: number; node: number | null };
  review?: { received: boolean; approvals: string[]; required: number | null; consoleUrl: string | null };
  next: string;
};
type Run = { code: number | null; out: string; err: string };

const chainRpc = { eth: ANVIL_RPC_URL, ltc: ltcRpcUrl };
let world: WithdrawalWorld;
let ltc: Litecoind;
/** Who `dev fund` pays from on anvil: its last unlocked account. */
let payer: string;

/** `walletctl dev ...` as a process (its built entry point, as `pnpm walletctl` runs it) with only `env` and PATH/HOME. */
function walletctlDev(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const child: ChildProcess = spawn(process.execPath, [join('packages', 'walletctl', 'dist', 'main.js'), 'dev', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`walletctl dev ${args.join(' ')} did not finish within 60 s: ${out} ${err}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Against the test cluster: its database, etcd namespace, registry and nodes. */
const dev = (...args: string[]) => walletctlDev(world.cluster.serviceEnv, ...args);

/** A `--json` answer, failing with the command's output when it did not succeed. */
function json<T>(run: Run): T {
  expect(run, `${run.out}\n${run.err}`).toMatchObject({ code: 0 });
  return JSON.parse(run.out) as T;
}

async function accountWithAddress(chain: string): Promise<{ id: string; address: string }> {
  const account = await world.api.post<{ id: string }>('/v1/accounts', { externalId: `sandbox-${chain}-${Math.random()}` });
  const address = await world.api.post<{ address: string }>(`/v1/accounts/${account.body.id}/addresses`, { chain });
  expect(address.status).toBe(201);
  return { id: account.body.id, address: address.body.address };
}

const depositOf = (accountId: string, txid: string, status: string) =>
  waitFor(
    `deposit ${txid} ${status}`,
    async () =>
      (await world.api.get<{ data: Deposit[] }>(`/v1/accounts/${accountId}/deposits`)).body.data.find(
        (d) => d.txid === txid && d.status === status,
      ),
    60_000,
  );
const available = async (accountId: string, asset: string) =>
  (await world.api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${accountId}/balances`)).body.data.find(
    (b) => b.asset === asset,
  )!.available;

beforeAll(async () => {
  world = await WithdrawalWorld.start({ chainRpc });
  ltc = new Litecoind();
  const accounts = (await world.provider.send('eth_accounts', [])) as string[];
  payer = accounts.at(-1)!;
  await mined(world.usdt.mint(payer, 10n ** 12n));
});

afterAll(async () => {
  expect(await world?.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

describe('walletctl dev on the local cluster', () => {
  let ethAccount: string;

  it('dev fund pays an ETH deposit address, dev mine adds the confirmations, dev where follows it to credited', async () => {
    const { id, address } = await accountWithAddress('eth');
    ethAccount = id;
    const sent = json<{ txid: string; from: string; blockNumber: number; amount: string }>(
      await dev('fund', '--chain', 'eth', '--address', address, '--amount', '1.25', '--json'),
    );
    expect(sent.amount).toBe('1250000000000000000');
    const tx = await world.provider.getTransaction(sent.txid);
    expect(tx).toMatchObject({ to: address, value: parseEther('1.25') });
    expect(tx!.from.toLowerCase()).toBe(payer.toLowerCase());
    expect(sent.blockNumber).toBe(tx!.blockNumber);

    const deposit = await depositOf(id, sent.txid, 'pending');
    const pending = json<Where>(await dev('where', '--deposit', sent.txid, '--json'));
    expect(pending).toMatchObject({ kind: 'deposit', id: deposit.id, status: 'pending', asset: 'ETH', amount: '1250000000000000000' });
    expect(pending.block?.number).toBe(sent.blockNumber);
    const counted = pending.confirmations.counted!;
    expect(counted).toBeGreaterThanOrEqual(1);
    expect(counted).toBeLessThan(3);
    expect(pending.confirmations.required).toBe(3);
    expect(pending.next).toContain(`walletctl dev mine --chain eth --blocks ${3 - counted}`);
    // By its id, for a person: the same facts in lines.
    const human = await dev('where', '--deposit', deposit.id);
    expect(human.code).toBe(0);
    expect(human.out).toContain(`deposit ${deposit.id}: pending`);
    expect(human.out).toContain('1.25 ETH (1250000000000000000 base units)');

    const before = await world.provider.getBlockNumber();
    const mine = json<{ height: number }>(await dev('mine', '--chain', 'eth', '--blocks', '2', '--json'));
    expect(mine.height).toBeGreaterThanOrEqual(before + 2);
    await depositOf(id, sent.txid, 'credited');
    expect(await available(id, 'ETH')).toBe('1250000000000000000');
    const credited = json<Where>(await dev('where', '--deposit', deposit.id, '--json'));
    expect(credited).toMatchObject({ status: 'credited', txid: sent.txid });
    expect(credited.confirmations.counted).toBeGreaterThanOrEqual(3);
    expect(credited.next).toMatch(/^nothing/);
  });

  it('dev fund pays a listed ERC20 (USDT) in base units; credited with its log index', async () => {
    const { id, address } = await accountWithAddress('eth');
    const sent = json<{ txid: string; asset: string; amount: string }>(
      await dev('fund', '--chain', 'eth', '--asset', 'USDT', '--address', address, '--amount', '5000000', '--base-units', '--json'),
    );
    expect(sent).toMatchObject({ asset: 'USDT', amount: '5000000' });
    expect(await world.usdt.balanceOf(address)).toBe(5_000_000n);
    expect((await dev('mine', '--chain', 'eth', '--blocks', '2')).code).toBe(0);
    const receipt = await world.provider.getTransactionReceipt(sent.txid);
    const credited = await depositOf(id, sent.txid, 'credited');
    expect(credited).toMatchObject({ asset: 'USDT', amount: '5000000', outputIndex: receipt!.logs[0]!.index });
    const where = json<Where>(await dev('where', '--txid', sent.txid, '--json'));
    expect(where).toMatchObject({ kind: 'deposit', status: 'credited', asset: 'USDT', outputIndex: receipt!.logs[0]!.index });
    expect(await available(id, 'USDT')).toBe('5000000');
  });

  it('dev fund pays an LTC deposit address from the node wallet; in the mempool until dev mine; credited at 2 confirmations', async () => {
    const { id, address } = await accountWithAddress('ltc');
    const sent = json<{ txid: string; blockNumber: number | null; from: string }>(
      await dev('fund', '--chain', 'ltc', '--address', address, '--amount', '0.5', '--json'),
    );
    expect(sent).toMatchObject({ blockNumber: null, from: 'wallet miner' });
    const tx = await ltc.call<{ vout: { value: number; scriptPubKey: { address?: string; addresses?: string[] } }[] }>(
      'getrawtransaction',
      [sent.txid, true],
    );
    // Litecoin Core 0.21 lists `addresses`; later versions `address`
    expect(tx.vout.find((o) => (o.scriptPubKey.address ?? o.scriptPubKey.addresses?.[0]) === address)?.value).toBe(0.5);
    // Not mined: MySQL has nothing yet; with --chain the node says where it is.
    const unmined = await dev('where', '--txid', sent.txid, '--chain', 'ltc');
    expect(unmined.code).toBe(1);
    expect(unmined.out).toContain('mempool');

    const height = await ltc.height();
    expect(json<{ height: number }>(await dev('mine', '--chain', 'ltc', '--blocks', '1', '--json')).height).toBeGreaterThanOrEqual(
      height + 1,
    );
    const deposit = await depositOf(id, sent.txid, 'pending');
    const pending = json<Where>(await dev('where', '--deposit', sent.txid, '--json'));
    expect(pending).toMatchObject({ id: deposit.id, status: 'pending', asset: 'LTC', amount: '50000000' });
    expect(pending.confirmations).toMatchObject({ counted: 1, required: 2, node: 1 });
    expect(pending.next).toContain('walletctl dev mine --chain ltc --blocks 1');

    expect((await dev('mine', '--chain', 'ltc', '--blocks', '1')).code).toBe(0);
    await depositOf(id, sent.txid, 'credited');
    expect(await available(id, 'LTC')).toBe('50000000');
    expect(json<Where>(await dev('where', '--deposit', deposit.id, '--json')).status).toBe('credited');
  });

  it('dev where follows a withdrawal: the review with its console URL, then on chain counting confirmations, then confirmed', async () => {
    const to = WithdrawalWorld.freshAddress();
    const created = await world.withdraw(ethAccount, { asset: 'ETH', to, amount: parseEther('0.5').toString() });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await world.signsrv.received(id);
    const review = json<Where>(await dev('where', '--withdrawal', id, '--json'));
    expect(review).toMatchObject({ kind: 'withdrawal', status: 'pending_review', txid: null });
    expect(review.review).toMatchObject({
      received: true,
      approvals: [],
      required: 1,
      consoleUrl: `${world.cluster.signsrvUrl}/console/withdrawals/${id}`,
    });
    expect(review.next).toContain(`${world.cluster.signsrvUrl}/console/withdrawals/${id}`);

    expect((await world.signsrv.approveSigned(id)).status).toBe(200);
    const sent = await waitFor(`withdrawal ${id} broadcast`, async () => {
      const w = await world.get(id);
      return w.status === 'broadcast' ? w : undefined;
    });
    const onChain = json<Where>(await dev('where', '--txid', sent.txid!, '--json'));
    expect(onChain).toMatchObject({ kind: 'withdrawal', id, status: 'broadcast', txid: sent.txid });
    expect(onChain.review).toMatchObject({ approvals: ['automation:auditor'], required: 1 });
    // anvil mined it as it arrived: one confirmation by the node, of the 3 ETH asks
    expect(onChain.confirmations).toMatchObject({ required: 3, node: 1 });
    expect(onChain.next).toContain('walletctl dev mine --chain eth --blocks');

    expect((await dev('mine', '--chain', 'eth', '--blocks', '2')).code).toBe(0);
    await world.waitStatus(id, 'confirmed');
    const done = json<Where>(await dev('where', '--withdrawal', id, '--json'));
    expect(done).toMatchObject({ status: 'confirmed', txid: sent.txid });
    expect(done.next).toMatch(/^nothing: confirmed in block \d+/);
    expect(await world.provider.getBalance(to)).toBe(parseEther('0.5'));
  });

  it('bad input is refused and pays nothing', async () => {
    const { address } = await accountWithAddress('ltc');
    const mempool = async () => (await ltc.call<{ size: number }>('getmempoolinfo')).size;
    const [pooled, nonce] = [await mempool(), await world.provider.getTransactionCount(payer)];
    const tooFine = await dev('fund', '--chain', 'ltc', '--address', address, '--amount', '0.000000001');
    expect(tooFine.code).toBe(1);
    expect(tooFine.err).toContain('VALIDATION_FAILED');
    const otherChain = await dev('fund', '--chain', 'eth', '--asset', 'LTC', '--address', WithdrawalWorld.freshAddress(), '--amount', '1');
    expect(otherChain.code).toBe(1);
    expect(otherChain.err).toContain('VALIDATION_FAILED');
    const noNode = await dev('mine', '--chain', 'btc', '--blocks', '1');
    expect(noNode.code).toBe(1);
    expect(noNode.err).toContain('no node in WALLET_CHAIN_RPC');
    expect([await mempool(), await world.provider.getTransactionCount(payer)]).toEqual([pooled, nonce]);
  });
});

describe('walletctl dev refuses what is not a development chain, sending nothing', () => {
  let mainnetFork: AnvilProcess;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    // an anvil that says it is Ethereum mainnet (as a fork of mainnet does)
    mainnetFork = await startAnvil({ chainId: 1 });
    provider = new JsonRpcProvider(mainnetFork.rpcUrl, 1, { staticNetwork: true });
  });

  afterAll(async () => {
    provider?.destroy();
    await mainnetFork?.stop();
  });

  /** Everything fund or mine could change on the node: its height, the payer's nonce and balance, the target's balance. */
  const state = async (p: JsonRpcProvider, target: string) => ({
    height: await p.getBlockNumber(),
    nonce: await p.getTransactionCount(payer),
    payer: await p.getBalance(payer),
    target: await p.getBalance(target),
  });

  it.each([
    ['the registry says regtest with the stack chain id 31337', devRegistryInput],
    ['the registry itself says chain id 1', withEvmChain({ evmChainId: 1 })],
  ])('a node with chain id 1 (%s)', async (_case, registry) => {
    const target = WithdrawalWorld.freshAddress();
    const env = {
      ...world.cluster.serviceEnv,
      WALLET_ASSETS: JSON.stringify(registry),
      WALLET_CHAIN_RPC: JSON.stringify({ eth: mainnetFork.rpcUrl }),
    };
    const before = await state(provider, target);
    for (const args of [
      ['fund', '--chain', 'eth', '--address', target, '--amount', '1'],
      ['mine', '--chain', 'eth', '--blocks', '5'],
      ['where', '--txid', `0x${'ab'.repeat(32)}`, '--chain', 'eth'],
    ]) {
      const run = await walletctlDev(env, ...args);
      expect(run.code, run.out).toBe(1);
      expect(run.err).toContain('FORBIDDEN');
      expect(run.err).toContain('chain id 1 (Ethereum mainnet)');
    }
    expect(await state(provider, target)).toEqual(before);
  });

  it('a chain the registry calls mainnet, even on the stack anvil', async () => {
    const target = WithdrawalWorld.freshAddress();
    const env = { ...world.cluster.serviceEnv, WALLET_ASSETS: JSON.stringify(withEvmChain({ network: 'mainnet' })) };
    const before = await state(world.provider, target);
    for (const args of [
      ['fund', '--chain', 'eth', '--address', target, '--amount', '1'],
      ['mine', '--chain', 'eth', '--blocks', '5'],
    ]) {
      const run = await walletctlDev(env, ...args);
      expect(run.code, run.out).toBe(1);
      expect(run.err).toContain('FORBIDDEN');
      expect(run.err).toContain('WALLET_ASSETS lists chain eth as a mainnet network');
    }
    const after = await state(world.provider, target);
    expect({ nonce: after.nonce, payer: after.payer, target: after.target }).toEqual({
      nonce: before.nonce,
      payer: before.payer,
      target: before.target,
    });
    expect(after.height).toBe(before.height);
  });

  it('a litecoind on testnet', async () => {
    const node = await TestnetLitecoind.start();
    try {
      const env = { ...world.cluster.serviceEnv, WALLET_CHAIN_RPC: JSON.stringify({ ltc: node.rpcUrl }) };
      for (const args of [
        ['fund', '--chain', 'ltc', '--address', 'rltc1q7r6p4vtag3unpm3a9athj2knfncknzsw0gsu7e', '--amount', '1'],
        ['mine', '--chain', 'ltc', '--blocks', '5'],
      ]) {
        const run = await walletctlDev(env, ...args);
        expect(run.code, run.out).toBe(1);
        expect(run.err).toContain('FORBIDDEN');
        expect(run.err).toContain('is on testnet, not regtest');
      }
      expect(await node.rpc.height()).toBe(0);
      expect(await node.rpc.call<string[]>('listwallets')).toEqual([]);
    } finally {
      await node.stop();
    }
  });
});

/** The dev registry with its eth chain changed. */
function withEvmChain(change: { evmChainId?: number; network?: 'mainnet' }): RegistryInput {
  return { ...devRegistryInput, chains: devRegistryInput.chains.map((c) => (c.id === 'eth' ? { ...c, ...change } : c)) };
}

/** A litecoind on testnet that connects to no one (it stays at the genesis block): a node that is not regtest. */
class TestnetLitecoind {
  private constructor(
    private readonly child: ChildProcess,
    private readonly datadir: string,
    readonly rpcUrl: string,
    readonly rpc: Litecoind,
  ) {}

  static async start(): Promise<TestnetLitecoind> {
    const datadir = mkdtempSync(join(tmpdir(), 'wallet-it-ltc-testnet-'));
    const port = await freePort();
    const child = spawn(
      'litecoind',
      [
        '-testnet',
        `-datadir=${datadir}`,
        '-server=1',
        '-daemon=0',
        '-printtoconsole=0',
        '-rpcuser=t',
        '-rpcpassword=t',
        '-rpcbind=127.0.0.1',
        '-rpcallowip=127.0.0.1',
        `-rpcport=${port}`,
        '-listen=0',
        '-connect=0',
        '-dnsseed=0',
        '-discover=0',
        '-upnp=0',
        '-listenonion=0',
      ],
      { stdio: 'ignore' },
    );
    const rpcUrl = `http://t:t@127.0.0.1:${port}`;
    const rpc = new Litecoind(rpcUrl);
    const node = new TestnetLitecoind(child, datadir, rpcUrl, rpc);
    try {
      await waitFor('the testnet litecoind', () => rpc.height().catch(() => undefined), 30_000);
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.datadir, { recursive: true, force: true });
  }
}
