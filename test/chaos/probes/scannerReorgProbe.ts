// Probe (issue 19, seed 5 finding): the EVM scanner against anvil with frequent shallow reorgs while transactions to a
// watched address are mined one per block. After the run every deposit row the scanner holds as pending must be a
// transaction of the canonical chain in the block it recorded. Run: node --conditions=wallet-source --import tsx
// test/chaos/probes/scannerReorgProbe.ts [seconds]
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { createChainAdapter } from '@wallet/chains';
import { createLogger } from '@wallet/logger';
import { ChainScanner, WatchedAddresses } from '@wallet/scanner';
import { createTestDatabase, startAnvil } from '@wallet/testkit';
import { JsonRpcProvider, Wallet } from 'ethers';

const FUNDER = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const seconds = Number(process.argv[2] ?? 60);

async function main(): Promise<void> {
  const { db, drop, url } = await createTestDatabase();
  const anvil = await startAnvil({ chainId: 31337 });
  const registry = AssetRegistry.parse(devRegistryInput);
  const chain = registry.chains.get('eth')!;
  const adapter = await createChainAdapter({
    chain,
    assets: [...registry.assets.values()].filter((a) => a.chain === 'eth'),
    rpcUrl: anvil.rpcUrl,
  });
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true });
  const funder = new Wallet(FUNDER, provider);
  const to = Wallet.createRandom().address;
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert({ id: 'c1', name: 'c', key_id: 'k1', secret: 's' });
  await db('accounts').insert({ id: 'a1', client_id: 'c1', external_id: 'a1', node_id: 't1' });
  await db('addresses').insert({
    chain: 'eth',
    address: to.toLowerCase(),
    derivation_index: 1,
    path: 'm',
    account_id: 'a1',
    client_id: 'c1',
  });
  const scanner = new ChainScanner({
    db,
    chain: 'eth',
    source: adapter,
    watched: new WatchedAddresses(db, 'eth', (a) => adapter.canonicalAddress(a)),
    fence: { chain: 'eth', token: 1n, holder: 'probe' },
    log: createLogger('probe', { level: 'warn' }),
    startHeight: 0,
  });
  const until = Date.now() + seconds * 1000;
  let sent = 0;
  let reorgs = 0;
  let rewinds = 0;
  const loops = [
    (async () => {
      while (Date.now() < until) {
        try {
          await funder.sendTransaction({ to, value: 10n ** 15n + BigInt(sent), gasPrice: 2n * 10n ** 9n });
          sent++;
        } catch {
          // nonce races after a reorg: the next one goes
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })(),
    (async () => {
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 700 + Math.random() * 800));
        await provider.send('anvil_reorg', [1 + Math.floor(Math.random() * 2), []]).catch(() => {});
        reorgs++;
      }
    })(),
    (async () => {
      while (Date.now() < until + 3000) {
        const r = await scanner.scan(64, 8).catch((e: unknown) => ({ kind: `error ${String(e).slice(0, 80)}` }));
        if (r.kind === 'reorg') rewinds++;
        if (r.kind === 'idle') await new Promise((x) => setTimeout(x, 100));
      }
    })(),
  ];
  await Promise.all(loops);
  await provider.send('anvil_mine', ['0x5']);
  for (let i = 0; i < 100; i++) if ((await scanner.scan(64, 8)).kind === 'idle') break;
  type Row = { id: string; txid: string; block_number: string; block_hash: string; created_at: Date };
  const rows = await db<Row>('deposits').whereIn('status', ['pending']).select('id', 'txid', 'block_number', 'block_hash', 'created_at');
  let bad = 0;
  for (const r of rows) {
    const receipt = await provider.getTransactionReceipt(r.txid);
    if (receipt?.blockHash === r.block_hash) continue;
    bad++;
    const canon = await provider.getBlock(Number(r.block_number));
    if (bad <= 10)
      console.log(
        `BAD ${r.id} ${r.txid} recorded at ${r.block_number} ${r.block_hash.slice(0, 12)} (${r.created_at.toISOString()}); canonical there ${canon?.hash?.slice(0, 12)}; receipt ${receipt ? `${receipt.blockNumber} ${receipt.blockHash.slice(0, 12)}` : 'none'}`,
      );
  }
  console.log(`sent ${sent}, reorgs ${reorgs}, rewinds ${rewinds}, pending rows ${rows.length}, not canonical ${bad} (db ${url})`);
  await adapter.close();
  await anvil.stop();
  if (bad === 0) await drop();
  else await db.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
