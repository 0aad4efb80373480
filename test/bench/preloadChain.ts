import { performance } from 'node:perf_hooks';
import { anvilDeployer, anvilProvider, deployTestToken } from '../contracts/deploy.js';

/** What preloadChain mined, and what a correct scanner must store from it. */
export type PreloadedChain = {
  /** First and last preloaded block (inclusive). */
  readonly first: number;
  readonly last: number;
  readonly txs: number;
  /** The listed token (TestToken), lower-case. */
  readonly token: string;
  /** The watched addresses that receive transfers (lower-case): they must be among the watched set. */
  readonly receivers: readonly string[];
  /** Transfers with an amount > 0 to `receivers`: one deposit row each. */
  readonly expectedDeposits: number;
  /** Sum of those transfers' amounts, per asset id ('ETH', and `tokenAsset`). */
  readonly expectedAmounts: Readonly<Record<string, bigint>>;
};

export type PreloadOptions = {
  readonly rpcUrl: string;
  readonly blocks: number;
  readonly txsPerBlock: number;
  /** Share of transactions sent to a watched address, e.g. 0.05. */
  readonly watchedShare: number;
  /** How many distinct watched addresses receive those transfers. */
  readonly receivers: number;
  /** The registry asset id the token will be listed as. */
  readonly tokenAsset: string;
  /** Seeds the choice of kinds, recipients and amounts, so runs on different commits scan the same kind of chain. */
  readonly seed: number;
  readonly say: (msg: string) => void;
};

type RpcAnswer = { id: number; result?: unknown; error?: { message: string } };

// Gas is given explicitly so that anvil does not estimate every transaction: an ETH transfer is exactly 21,000; a
// TestToken transfer to a fresh address is about 52,000 (the new balance slot alone is 22,100).
const ETH_GAS = '0x5208';
const TOKEN_GAS = '0x15f90';

/**
 * Fills a private anvil with `blocks` blocks of `txsPerBlock` transactions each, half ETH transfers and half
 * TestToken transfers, from anvil's unlocked dev accounts (anvil signs: no client-side signing to wait for), a
 * `watchedShare` of them to watched addresses and the rest to fresh random ones. Mining is stopped while a block's
 * transactions are sent in one JSON-RPC batch, then `evm_mine` seals exactly that block (checked).
 * @returns the block range and the deposits a scanner must find in it
 */
export async function preloadChain(options: PreloadOptions): Promise<PreloadedChain> {
  const { rpcUrl, blocks, txsPerBlock, watchedShare, tokenAsset, say } = options;
  const random = mulberry32(options.seed);
  const randomAddress = (): string => {
    let hex = '0x';
    for (let i = 0; i < 5; i++)
      hex += Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return hex;
  };
  const receivers = Array.from({ length: options.receivers }, randomAddress);

  const accounts = await rpc<string[]>(rpcUrl, 'eth_accounts', []);
  // The token is deployed and minted with automine on, so ethers' waits return.
  const provider = anvilProvider(rpcUrl);
  let token: string;
  try {
    const deployer = anvilDeployer(provider);
    const contract = await deployTestToken(deployer, { name: 'Bench Dollar', symbol: 'BUSD', decimals: 6 });
    token = (await contract.getAddress()).toLowerCase();
    for (const account of accounts) await (await contract.mint(account, 10n ** 30n)).wait();
  } finally {
    provider.destroy();
  }

  // With mining stopped anvil would hand out the same (mined) nonce to every pending transaction: count them here.
  const nonces = await Promise.all(accounts.map(async (a) => Number(await rpc<string>(rpcUrl, 'eth_getTransactionCount', [a, 'latest']))));
  const first = Number(await rpc<string>(rpcUrl, 'eth_blockNumber', [])) + 1;
  await rpc(rpcUrl, 'evm_setAutomine', [false]);

  const expectedAmounts: Record<string, bigint> = { ETH: 0n, [tokenAsset]: 0n };
  let expectedDeposits = 0;
  let txs = 0;
  const started = performance.now();
  let lastReport = started;
  for (let block = 0; block < blocks; block++) {
    const batch = Array.from({ length: txsPerBlock }, (_, i) => {
      const sender = i % accounts.length;
      const from = accounts[sender]!;
      const nonce = `0x${(nonces[sender]!++).toString(16)}`;
      const watched = random() < watchedShare;
      const to = watched ? receivers[Math.floor(random() * receivers.length)]! : randomAddress();
      const native = i % 2 === 0;
      // Never zero: a zero amount is no deposit, and every transfer to a watched address is meant to be one.
      const amount = native ? BigInt(1 + Math.floor(random() * 1e6)) * 10n ** 9n : BigInt(1 + Math.floor(random() * 1e9));
      if (watched) {
        expectedDeposits++;
        const asset = native ? 'ETH' : tokenAsset;
        expectedAmounts[asset] = (expectedAmounts[asset] ?? 0n) + amount;
      }
      const tx = native
        ? { from, nonce, to, value: `0x${amount.toString(16)}`, gas: ETH_GAS }
        : { from, nonce, to: token, data: transferCalldata(to, amount), gas: TOKEN_GAS };
      return { jsonrpc: '2.0', id: i, method: 'eth_sendTransaction', params: [tx] };
    });
    const answers = await post<RpcAnswer[]>(rpcUrl, batch);
    const failed = answers.find((a) => a.error !== undefined);
    if (failed !== undefined) throw new Error(`eth_sendTransaction: ${failed.error?.message}`);
    await rpc(rpcUrl, 'evm_mine', []);
    // A block that left transactions behind (gas limit) would shift them into the next one: then the figures lie.
    const mined = await rpc<{ number: string; transactions: string[] }>(rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
    if (Number(mined.number) !== first + block || mined.transactions.length !== txsPerBlock) {
      throw new Error(`block ${Number(mined.number)} holds ${mined.transactions.length} transactions, expected ${txsPerBlock}`);
    }
    txs += txsPerBlock;
    const now = performance.now();
    if (now - lastReport > 3_000 || block === blocks - 1) {
      lastReport = now;
      const seconds = (now - started) / 1000;
      say(`preloading: ${block + 1}/${blocks} blocks, ${txs} txs, ${expectedDeposits} deposits, ${(txs / seconds).toFixed(0)} txs/s`);
    }
  }
  return { first, last: first + blocks - 1, txs, token, receivers, expectedDeposits, expectedAmounts };
}

// transfer(address,uint256): selector 0xa9059cbb, then the address and the amount, each left-padded to 32 bytes.
function transferCalldata(to: string, amount: bigint): string {
  return `0xa9059cbb${to.slice(2).padStart(64, '0')}${amount.toString(16).padStart(64, '0')}`;
}

/** A small seeded PRNG (mulberry32): reproducible choices, no dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const answer = await post<RpcAnswer>(url, { jsonrpc: '2.0', id: 1, method, params });
  if (answer.error !== undefined) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result as T;
}
