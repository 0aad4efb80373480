// `pnpm cluster`: runs the whole wallet cluster in the foreground on the local stack, with readable
// logs, on the documented addresses (gatesrv 127.0.0.1:8080, signsrv 127.0.0.1:8090). Ctrl-C stops it.
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PinoPretty } from 'pino-pretty';
import { Cluster } from './Cluster.js';
import { anvilProvider } from '../contracts/deploy.js';
import { devMnemonic } from './devKeys.js';
import { hotWalletOf } from './WithdrawalWorld.js';
import { ltcRpcUrl } from './litecoind.js';
import { repoRoot } from './repoRoot.js';

const transrvNodes = (process.env['CLUSTER_TRANSRV_NODES'] ?? 't1,t2').split(',').filter(Boolean);
const say = (msg: string) => process.stdout.write(`[cluster] ${msg}\n`);

say(`starting accountsrv, transrv ${transrvNodes.join(', ')}, signsrv, gatesrv (WALLET_ENV=dev, database wallet)`);
const cluster = await Cluster.start(
  {
    env: process.env['WALLET_ENV'] ?? 'dev',
    database: process.env['WALLET_DATABASE'] ?? 'wallet',
    transrvNodes,
    gatesrvHttpAddr: process.env['GATESRV_HTTP_ADDR'] ?? '127.0.0.1:8080',
    signsrvHttpAddr: process.env['SIGNSRV_HTTP_ADDR'] ?? '127.0.0.1:8090',
    logLevel: process.env['LOG_LEVEL'] ?? 'info',
    keepDatabase: true,
    mnemonic: devMnemonic(),
    // Scanned chains: eth on anvil, ltc on the stack's litecoind (its RPC credentials in the URL).
    chainRpc: { eth: process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545', ltc: ltcRpcUrl },
    // signsrv's keystore is sealed with the stack's KEK; the auditor token for its review API is kept beside it.
    secretsDir: join(repoRoot, '.stack', 'secrets'),
  },
  say,
).catch((error: unknown) => {
  say(`start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

// From here on, every service's JSON log is shown pretty-printed (the raw JSON is in .stack/logs/test/).
for (const p of cluster.processes.values()) {
  const pretty = PinoPretty({
    colorize: process.stdout.isTTY,
    ignore: 'pid,hostname,svc',
    messageFormat: `${p.label.replace(`${cluster.env}-`, '').padEnd(11)} {msg}`,
    translateTime: 'HH:MM:ss.l',
  });
  pretty.pipe(process.stdout);
  createInterface({ input: p.child.stdout! }).on('line', (line) => pretty.write(`${line}\n`));
  void p.exited.then((code) => say(`${p.label} exited with ${code}`));
}

// The local stack's anvil: give the dev hot wallet ETH to pay withdrawals with (deposits are not swept into it yet).
const hotWallet = hotWalletOf(devMnemonic());
try {
  const provider = anvilProvider();
  if ((await provider.getBalance(hotWallet)) === 0n) await provider.send('anvil_setBalance', [hotWallet, `0x${(10n ** 22n).toString(16)}`]);
  say(`hot wallet ${hotWallet} on anvil: ${(await provider.getBalance(hotWallet)) / 10n ** 18n} ETH`);
  provider.destroy();
} catch (error) {
  say(`could not fund the hot wallet on anvil: ${error instanceof Error ? error.message : String(error)}`);
}

say('cluster is up:');
say(`  gatesrv HTTP   ${cluster.gatewayUrl}   (try: curl ${cluster.gatewayUrl}/healthz)`);
say(`  signsrv HTTP   ${cluster.signsrvUrl}   (auditors: Authorization: Bearer $(cat .stack/secrets/auditor-token))`);
say(`  logs (JSON)    .stack/logs/test/${cluster.env}-*.log`);
say('press Ctrl-C to stop');

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  say('stopping...');
  void cluster.stop().then(() => {
    say('stopped');
    process.exit(0);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
