// Benchmark (not a test): blocks per second of sequential block scanning on anvil, for the fetch strategies and HTTP
// clients the EVM adapter could use, against the adapter itself (which validates everything it reads). Starts its
// own anvil (chain id 31338), fills it with blocks of native transfers, token transfers and spoofed token logs,
// prints the figures and appends one JSON line to bench/results/chains.jsonl at the repository root.
//
//   node --conditions=wallet-source --import tsx packages/chains/bench/fetch.bench.ts
//   (BLOCKS=300 TXS_PER_BLOCK=40 ROUNDS=3 by default)
//
// Strategies, each one block at a time as the scanner does:
//   full+receipts   eth_getBlockByNumber(n, true) + eth_getBlockReceipts(n), one batch: the plain way
//   full+logs       eth_getBlockByNumber(n, true) + eth_getLogs(n, token contracts, Transfer), one batch, then
//                   eth_getTransactionReceipt of the native transfers to watched addresses (for their status)
//   header+receipts eth_getBlockByNumber(n, false) + eth_getBlockReceipts(n), one batch, then
//                   eth_getTransactionByBlockHashAndIndex of the receipts whose `to` is watched (for the value)
import { appendFileSync, mkdirSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { JsonRpcProvider, Network } from 'ethers';
import { Pool } from 'undici';
import { erc20TransferTopic } from '../src/decodeTransferLog.js';
import { createEvmAdapter } from '../src/EvmAdapter.js';
import { startAnvil, DevChain, randomAddress, transferCalldata, transferEmitterRuntime } from '@wallet/testkit';

const BLOCKS = Number(process.env['BLOCKS'] ?? 300);
const TXS_PER_BLOCK = Number(process.env['TXS_PER_BLOCK'] ?? 40);
const ROUNDS = Number(process.env['ROUNDS'] ?? 3);
const CHAIN_ID = 31338;
const resultsDir = new URL('../../../bench/results/', import.meta.url);

type Post = (body: string) => Promise<string>;
type RawTx = { hash: string; to: string | null; value: string };
type RawReceipt = { transactionHash: string; transactionIndex: string; status: string; to: string | null };
type RawAnswer = { id: number; result?: unknown; error?: unknown };

let nextId = 1;
const hex = (n: number): string => `0x${n.toString(16)}`;

const anvil = await startAnvil({ chainId: CHAIN_ID });
try {
  const dev = new DevChain(anvil.rpcUrl);
  const { token, watched, first, last } = await fillChain(dev);
  const isWatched = (address: string): boolean => watched.has(address);
  const noneWatched = (): boolean => false;

  const url = new URL(anvil.rpcUrl);
  const viaFetch: Post = async (body) =>
    (await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
  const pool = new Pool(url.origin, { connections: 4 });
  const viaUndici: Post = async (body) =>
    (await pool.request({ path: '/', method: 'POST', headers: { 'content-type': 'application/json' }, body })).body.text();
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const viaHttp: Post = (body) =>
    new Promise((resolve, reject) => {
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  // ethers v6 away from its defaults: no chain id probe, no polling, no cache, batches sent at once.
  const network = Network.from(CHAIN_ID);
  const provider = new JsonRpcProvider(anvil.rpcUrl, network, {
    staticNetwork: network,
    batchMaxCount: 100,
    batchStallTime: 0,
    polling: false,
    cacheTimeout: -1,
  });
  const viaEthers: Post = async (body) => {
    const calls = JSON.parse(body) as { id: number; method: string; params: unknown[] }[];
    const results = await Promise.all(calls.map(async (c) => ({ id: c.id, result: (await provider.send(c.method, c.params)) as unknown })));
    return JSON.stringify(results);
  };

  const adapter = await createEvmAdapter({
    chain: { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: CHAIN_ID, nativeAsset: 'ETH' },
    assets: [
      { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 1, minWithdrawal: 1n, withdrawalFee: 1n },
      { id: 'TKN', chain: 'eth', decimals: 18, confirmations: 1, minWithdrawal: 1n, withdrawalFee: 1n, contract: token },
    ],
    rpcUrl: anvil.rpcUrl,
  });

  let deposits = 0;
  const variants: Record<string, () => Promise<void>> = {
    'full+receipts fetch': () => fullReceipts(viaFetch, first, last),
    'full+receipts undici': () => fullReceipts(viaUndici, first, last),
    'full+logs undici': () => fullLogs(viaUndici, first, last, token, isWatched),
    'header+receipts fetch': () => headerReceipts(viaFetch, first, last, isWatched),
    'header+receipts node:http': () => headerReceipts(viaHttp, first, last, isWatched),
    'header+receipts ethers': () => headerReceipts(viaEthers, first, last, isWatched),
    'header+receipts undici': () => headerReceipts(viaUndici, first, last, isWatched),
    'adapter.scanBlock': async () => {
      deposits = 0;
      for (let n = first; n <= last; n++) deposits += (await adapter.scanBlock(n, isWatched))?.transfers.length ?? 0;
    },
    'adapter.scanBlock, nothing watched': async () => {
      for (let n = first; n <= last; n++) await adapter.scanBlock(n, noneWatched);
    },
  };
  const best: Record<string, number> = {};
  const entries = Object.entries(variants);
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another variant, so a burst of load on the machine does not always hit the same one.
    for (const [name, run] of [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)]) {
      const start = performance.now();
      await run();
      const perSecond = (last - first + 1) / ((performance.now() - start) / 1000);
      best[name] = Math.max(best[name] ?? 0, Math.round(perSecond));
    }
  }
  await adapter.close();
  provider.destroy();
  await pool.close();
  agent.destroy();

  const adapterRate = best['adapter.scanBlock'] ?? 0;
  const ratios = {
    adapterVsFullReceiptsFetch: Number((adapterRate / (best['full+receipts fetch'] ?? 1)).toFixed(2)),
    adapterVsHeaderReceiptsUndici: Number((adapterRate / (best['header+receipts undici'] ?? 1)).toFixed(2)),
  };
  console.log(`${last - first + 1} blocks of ${TXS_PER_BLOCK} transactions, ${deposits} deposits found; best of ${ROUNDS} rounds:`);
  for (const [name, perSecond] of Object.entries(best)) console.log(`  ${name.padEnd(36)} ${String(perSecond).padStart(6)} blocks/s`);
  console.log(
    `  adapter / full+receipts fetch: ${ratios.adapterVsFullReceiptsFetch}x; adapter / header+receipts undici: ${ratios.adapterVsHeaderReceiptsUndici}x`,
  );

  const line = {
    bench: 'chains.fetch',
    at: new Date().toISOString(),
    blocks: last - first + 1,
    txsPerBlock: TXS_PER_BLOCK,
    depositsPerBlock: Number((deposits / (last - first + 1)).toFixed(1)),
    rounds: ROUNDS,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    blocksPerSecond: best,
    ratios,
  };
  mkdirSync(resultsDir, { recursive: true });
  appendFileSync(new URL('chains.jsonl', resultsDir), `${JSON.stringify(line)}\n`);
  console.log(`appended to ${new URL('chains.jsonl', resultsDir).pathname}`);
} finally {
  await anvil.stop();
}

/**
 * Mines BLOCKS blocks of TXS_PER_BLOCK transactions: per 5, two native transfers and two listed-token Transfer logs
 * (half of each to watched addresses), and one identical log from an unlisted contract.
 */
async function fillChain(dev: DevChain): Promise<{ token: string; watched: Set<string>; first: number; last: number }> {
  const accounts = await dev.request<string[]>('eth_accounts');
  const token = await dev.deploy(accounts[0]!, transferEmitterRuntime);
  const spoof = await dev.deploy(accounts[0]!, transferEmitterRuntime);
  const nonces = await Promise.all(accounts.map(async (a) => Number(await dev.request<string>('eth_getTransactionCount', [a, 'latest']))));
  const watched = new Set<string>();
  const first = Number(await dev.request<string>('eth_blockNumber')) + 1;
  const started = performance.now();
  await dev.request('evm_setAutomine', [false]);
  for (let block = 0; block < BLOCKS; block++) {
    const batch = Array.from({ length: TXS_PER_BLOCK }, (_, i) => {
      const sender = i % accounts.length;
      const from = accounts[sender]!;
      // With mining stopped anvil hands out the mined nonce again: count them here.
      const nonce = `0x${(nonces[sender]!++).toString(16)}`;
      const to = randomAddress();
      if (i % 2 === 0) watched.add(to);
      const kind = i % 5;
      const tx =
        kind < 2
          ? { from, nonce, to, value: `0x${(1000 + i).toString(16)}` }
          : { from, nonce, to: kind === 4 ? spoof : token, input: transferCalldata({ from, to, amount: 5n }) };
      return { jsonrpc: '2.0', id: i, method: 'eth_sendTransaction', params: [tx] };
    });
    const response = await fetch(dev.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    const failed = ((await response.json()) as RawAnswer[]).find((answer) => answer.error !== undefined);
    if (failed !== undefined) throw new Error(`eth_sendTransaction: ${JSON.stringify(failed.error)}`);
    await dev.request('evm_mine');
  }
  await dev.request('evm_setAutomine', [true]);
  const last = Number(await dev.request<string>('eth_blockNumber'));
  console.log(`filled ${last - first + 1} blocks in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { token, watched, first, last };
}

function batchBody(calls: [method: string, params: unknown[]][]): string {
  return JSON.stringify(calls.map(([method, params]) => ({ jsonrpc: '2.0', id: nextId++, method, params })));
}

/** The results of a batch answer, in call order. */
function results(text: string, count: number): unknown[] {
  const answers = JSON.parse(text) as RawAnswer[];
  const firstId = Math.min(...answers.map((a) => a.id));
  const ordered = new Array<unknown>(count);
  for (const answer of answers) ordered[answer.id - firstId] = answer.result;
  if (answers.length !== count || ordered.some((r) => r === undefined || r === null)) throw new Error('incomplete batch answer');
  return ordered;
}

async function fullReceipts(post: Post, first: number, last: number): Promise<void> {
  for (let n = first; n <= last; n++) {
    results(
      await post(
        batchBody([
          ['eth_getBlockByNumber', [hex(n), true]],
          ['eth_getBlockReceipts', [hex(n)]],
        ]),
      ),
      2,
    );
  }
}

async function fullLogs(post: Post, first: number, last: number, token: string, isWatched: (a: string) => boolean): Promise<void> {
  for (let n = first; n <= last; n++) {
    const filter = { fromBlock: hex(n), toBlock: hex(n), address: [token], topics: [[erc20TransferTopic]] };
    const [block] = results(
      await post(
        batchBody([
          ['eth_getBlockByNumber', [hex(n), true]],
          ['eth_getLogs', [filter]],
        ]),
      ),
      2,
    ) as [{ transactions: RawTx[] }, unknown[]];
    const candidates = block.transactions.filter((tx) => tx.to !== null && isWatched(tx.to) && tx.value !== '0x0');
    if (candidates.length > 0)
      results(await post(batchBody(candidates.map((tx) => ['eth_getTransactionReceipt', [tx.hash]]))), candidates.length);
  }
}

async function headerReceipts(post: Post, first: number, last: number, isWatched: (a: string) => boolean): Promise<void> {
  for (let n = first; n <= last; n++) {
    const [block, receipts] = results(
      await post(
        batchBody([
          ['eth_getBlockByNumber', [hex(n), false]],
          ['eth_getBlockReceipts', [hex(n)]],
        ]),
      ),
      2,
    ) as [{ hash: string }, RawReceipt[]];
    const candidates = receipts.filter((r) => r.status === '0x1' && r.to !== null && isWatched(r.to));
    if (candidates.length > 0) {
      const calls = candidates.map((r): [string, unknown[]] => ['eth_getTransactionByBlockHashAndIndex', [block.hash, r.transactionIndex]]);
      results(await post(batchBody(calls)), candidates.length);
    }
  }
}
