import { parseArgs } from 'node:util';
import { type AssetSpec, assetRegistryEnv } from '@wallet/assets';
import { chainRpcEnv, commonEnv, loadEnvConfig, urlWith } from '@wallet/config';
import { createDb } from '@wallet/db';
import { Discovery } from '@wallet/discovery';
import { WalletError, isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { z } from 'zod';
import { formatDecimalAmount, parseDecimalAmount } from './decimalAmount.js';
import { devApiCall } from './devApi.js';
import { type DevChain, type DevChainOptions, openDevChain } from './devChain.js';
import { openEvmDevChain } from './evmDevChain.js';
import { openUtxoDevChain } from './utxoDevChain.js';
import { type WhereContext, type WhereReport, mineHint, normalizeRef } from './whereContext.js';
import { whereDeposits } from './whereDeposit.js';
import { whereWithdrawals } from './whereWithdrawal.js';

import { devUsage } from './devUsage.js';

export { devUsage };

/** Where the command writes (walletctl's Io). */
type Io = { out: (line: string) => void; err: (line: string) => void };

const MAX_BLOCKS = 10_000;

/** The local stack's nodes (deploy/local/stack.sh), as `pnpm cluster` gives them to the services. */
const stackRpc = { eth: 'http://127.0.0.1:8545', ltc: 'http://wallet:wallet@127.0.0.1:19443' };

const env = z.object({
  WALLET_ENV: commonEnv.WALLET_ENV,
  ETCD_ENDPOINTS: commonEnv.ETCD_ENDPOINTS,
  MYSQL_URL: commonEnv.MYSQL_URL,
  WALLET_ASSETS: assetRegistryEnv,
  // As the cluster's services read it; unset, the stack's nodes (ETH_RPC_URL and LTC_RPC_URL of `stack.sh env`).
  WALLET_CHAIN_RPC: chainRpcEnv.unwrap().optional(),
  ETH_RPC_URL: urlWith('http:', 'https:').optional(),
  LTC_RPC_URL: urlWith('http:', 'https:').optional(),
  WALLET_URL: urlWith('http:', 'https:').default('http://127.0.0.1:8080'),
  WALLET_KEY_ID: z.string().min(1).optional(),
  WALLET_SECRET: z.string().min(1).optional(),
});
type DevConfig = z.infer<typeof env>;

/**
 * `walletctl dev ...`: the sandbox's commands for the local cluster (see {@link devUsage} and docs/sandbox.md). Paying
 * and mining run only against development chains, checked on the node itself before anything is sent.
 * @param argv the arguments after `dev`
 * @returns the exit code
 */
export async function runDevCommand(argv: readonly string[], io: Io, environment: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      chain: { type: 'string' },
      address: { type: 'string' },
      amount: { type: 'string' },
      asset: { type: 'string' },
      'base-units': { type: 'boolean', default: false },
      from: { type: 'string' },
      'node-wallet': { type: 'string' },
      blocks: { type: 'string' },
      deposit: { type: 'string' },
      withdrawal: { type: 'string' },
      txid: { type: 'string' },
      body: { type: 'string' },
      'idempotency-key': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    io.out(`walletctl dev: the sandbox's commands for the local cluster (docs/sandbox.md)\n\n${devUsage}`);
    return values.help ? 0 : 2;
  }
  const config = loadEnvConfig(env, environment);
  const chainOptions: DevChainOptions = { from: values.from, nodeWallet: values['node-wallet'] };
  const print = (json: unknown, human: readonly string[]) =>
    values.json ? io.out(JSON.stringify(json, null, 2)) : human.forEach((l) => io.out(l));

  switch (action) {
    case 'fund': {
      const chainId = required(values.chain, '--chain');
      const address = required(values.address, '--address');
      const amountText = required(values.amount, '--amount');
      const chain = await openChain(config, chainId, chainOptions);
      try {
        const asset = assetOf(config, chain, values.asset);
        const amount = values['base-units'] ? baseUnits(amountText) : parseDecimalAmount(amountText, asset.decimals, '--amount');
        if (amount === 0n) throw new WalletError('VALIDATION_FAILED', '--amount must be more than zero', { details: { field: 'amount' } });
        const sent = await chain.fund(address, asset, amount);
        const confirmations = asset.confirmations - (sent.blockNumber === null ? 0 : 1);
        print(
          {
            chain: chainId,
            asset: asset.id,
            amount: amount.toString(),
            to: address,
            from: sent.from,
            txid: sent.txid,
            blockNumber: sent.blockNumber,
          },
          [
            `sent ${formatDecimalAmount(amount, asset.decimals)} ${asset.id} (${amount} base units) on ${chainId} from ${sent.from} to ${address}`,
            `txid   ${sent.txid}`,
            sent.blockNumber === null ? 'block  none yet: in the mempool' : `block  ${sent.blockNumber} (the node mines each transaction)`,
            `next   ${asset.id} deposits are credited at ${asset.confirmations} confirmation(s): ${mineHint(chainId, confirmations)}, then walletctl dev where --deposit ${sent.txid}`,
          ],
        );
        return 0;
      } finally {
        await chain.close();
      }
    }
    case 'mine': {
      const chainId = required(values.chain, '--chain');
      const blocks = Number(required(values.blocks, '--blocks'));
      if (!/^[0-9]+$/.test(values.blocks!) || blocks < 1 || blocks > MAX_BLOCKS) {
        throw new WalletError('VALIDATION_FAILED', `--blocks must be a whole number from 1 to ${MAX_BLOCKS}`, {
          details: { field: 'blocks' },
        });
      }
      const chain = await openChain(config, chainId, chainOptions);
      try {
        const height = await chain.mine(blocks);
        print({ chain: chainId, mined: blocks, height }, [`mined ${blocks} block(s) on ${chainId} (${chain.node}): height ${height}`]);
        return 0;
      } finally {
        await chain.close();
      }
    }
    case 'where':
      return where(config, values, chainOptions, io);
    case 'api': {
      const [method, path] = rest;
      const response = await devApiCall(
        config.WALLET_URL,
        { keyId: required(config.WALLET_KEY_ID, 'WALLET_KEY_ID'), secret: required(config.WALLET_SECRET, 'WALLET_SECRET') },
        {
          method: required(method, 'METHOD'),
          pathWithQuery: required(path, 'PATH'),
          body: values.body,
          idempotencyKey: values['idempotency-key'],
        },
      );
      io.err(`HTTP ${response.status}${response.idempotencyKey === null ? '' : ` (Idempotency-Key: ${response.idempotencyKey})`}`);
      io.out(pretty(response.body));
      return response.status >= 200 && response.status < 300 ? 0 : 1;
    }
    default:
      throw new WalletError(
        'VALIDATION_FAILED',
        `unknown dev command ${JSON.stringify(action ?? '')}: fund, mine, where or api (walletctl --help)`,
        {
          details: { field: 'command' },
        },
      );
  }
}

async function where(
  config: DevConfig,
  values: {
    deposit?: string | undefined;
    withdrawal?: string | undefined;
    txid?: string | undefined;
    chain?: string | undefined;
    json: boolean;
  },
  chainOptions: DevChainOptions,
  io: Io,
): Promise<number> {
  const given = (['deposit', 'withdrawal', 'txid'] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) {
    throw new WalletError('VALIDATION_FAILED', 'give one of --deposit ID|TXID, --withdrawal ID|TXID, --txid TXID', {
      details: { field: 'where' },
    });
  }
  const kind = given[0]!;
  const ref = values[kind]!;
  const db = createDb(databaseUrl(config.MYSQL_URL), { poolMin: 0, poolMax: 2 });
  const chains = new Map<string, DevChain | string>();
  const chainOf = async (chainId: string): Promise<DevChain | string> => {
    const known = chains.get(chainId);
    if (known !== undefined) return known;
    let opened: DevChain | string;
    try {
      opened = await openChain(config, chainId, chainOptions);
    } catch (error) {
      // Not a dev chain is refused, as by fund and mine; a chain without a node (or a node down) is only not asked.
      if (isWalletError(error) && error.code === 'FORBIDDEN') throw error;
      opened = isWalletError(error) && error.code !== 'UNAVAILABLE' ? error.message : `its node did not answer (${describe(error)})`;
    }
    chains.set(chainId, opened);
    return opened;
  };
  try {
    const context: WhereContext = { db, registry: config.WALLET_ASSETS, chain: chainOf, signsrvUrl: () => signsrvUrl(config) };
    const reports: WhereReport[] = [
      ...(kind === 'withdrawal' ? [] : await whereDeposits(context, ref)),
      ...(kind === 'deposit' ? [] : await whereWithdrawals(context, ref)),
    ];
    if (values.chain !== undefined) {
      // Checked even when MySQL answered: `--chain` names a chain this command may read.
      const chain = await chainOf(values.chain);
      if (reports.length === 0) return notFound(kind, ref, values.chain, chain, values.json, io);
    }
    if (reports.length === 0) return notFound(kind, ref, undefined, undefined, values.json, io);
    if (values.json) io.out(JSON.stringify(reports.length === 1 ? reports[0]!.json : reports.map((r) => r.json), null, 2));
    else reports.forEach((r, i) => [...(i === 0 ? [] : ['']), ...r.lines].forEach((l) => io.out(l)));
    return 0;
  } finally {
    await Promise.all([...chains.values()].flatMap((c) => (typeof c === 'string' ? [] : [c.close()])));
    await db.destroy();
  }
}

/** Nothing in MySQL: says so, with what the node knows of the transaction when a chain was named. @returns 1 */
async function notFound(
  kind: string,
  ref: string,
  chainId: string | undefined,
  chain: DevChain | string | undefined,
  json: boolean,
  io: Io,
) {
  const what = kind === 'deposit' ? 'no deposit' : kind === 'withdrawal' ? 'no withdrawal' : 'no deposit or withdrawal';
  const onNode = chain === undefined || typeof chain === 'string' ? null : await chain.transaction(normalizeRef(ref));
  const nodeLine =
    chainId === undefined
      ? 'add --chain CHAIN to ask the chain about a txid'
      : typeof chain === 'string'
        ? `chain ${chainId}: ${chain}`
        : onNode === null
          ? `the ${chainId} node does not know this transaction`
          : onNode.blockNumber === null
            ? `the ${chainId} node has it in its mempool: it needs a block (${mineHint(chainId, 1)}), then the scanner records it if it pays a deposit address`
            : `the ${chainId} node has it in block ${onNode.blockNumber} (${onNode.confirmations} confirmation(s)): if it paid a deposit address, the scanner records it once it reaches that block`;
  if (json) io.out(JSON.stringify({ found: false, ref, chain: chainId ?? null, onNode }, null, 2));
  else io.out(`${what} ${ref} in MySQL (the scanner records a deposit once its block is scanned)\n${nodeLine}`);
  return 1;
}

function openChain(config: DevConfig, chainId: string, options: DevChainOptions): Promise<DevChain> {
  const rpc = config.WALLET_CHAIN_RPC ?? { eth: config.ETH_RPC_URL ?? stackRpc.eth, ltc: config.LTC_RPC_URL ?? stackRpc.ltc };
  return openDevChain(config.WALLET_ASSETS, chainId, rpc, options, { evm: openEvmDevChain, utxo: openUtxoDevChain });
}

/** The asset to pay: the chain's coin by default, else one the registry lists on this chain. */
function assetOf(config: DevConfig, chain: DevChain, assetId: string | undefined): AssetSpec {
  const asset = config.WALLET_ASSETS.asset(assetId ?? chain.spec.nativeAsset);
  if (asset.chain !== chain.spec.id) {
    throw new WalletError('VALIDATION_FAILED', `${asset.id} is an asset of chain ${asset.chain}, not ${chain.spec.id}`, {
      details: { field: 'asset', asset: asset.id },
    });
  }
  return asset;
}

function baseUnits(text: string): bigint {
  if (!/^[0-9]{1,78}$/.test(text)) {
    throw new WalletError('VALIDATION_FAILED', '--amount with --base-units must be a whole number of base units', {
      details: { field: 'amount' },
    });
  }
  return BigInt(text);
}

/** The dev cluster's database (`pnpm cluster`'s `wallet`) when MYSQL_URL names none, as `stack.sh env` prints it. */
function databaseUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/wallet';
  return u.toString();
}

/** signsrv's HTTP address as registered in etcd; null when none is (or etcd does not answer within 3 s). */
async function signsrvUrl(config: DevConfig): Promise<string | null> {
  const discovery = new Discovery({
    endpoints: config.ETCD_ENDPOINTS,
    env: config.WALLET_ENV,
    log: createLogger('walletctl', { level: 'silent' }),
  });
  try {
    const watch = await Promise.race([
      discovery.watch('signsrv'),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 3_000).unref()),
    ]);
    const address = watch?.instances().find((i) => i.httpAddress !== undefined)?.httpAddress;
    if (address === undefined) return null;
    return /^https?:\/\//.test(address) ? address.replace(/\/$/, '') : `http://${address}`;
  } catch {
    return null;
  } finally {
    await discovery.close();
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new WalletError('VALIDATION_FAILED', `${name} is required`, { details: { field: name } });
  return value;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
