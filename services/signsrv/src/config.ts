import { assetRegistryEnv } from '@wallet/assets';
import {
  chainRpcEnv,
  commonEnv,
  crashPointsEnv,
  hostPort,
  intString,
  jsonRecord,
  loadEnvConfig,
  refuseCrashPointsInProd,
} from '@wallet/config';
import { WalletError } from '@wallet/errors';
import { z } from 'zod';

const Wei = z
  .string()
  .regex(/^[1-9][0-9]{0,40}$/, 'expected a positive integer')
  .transform(BigInt);

/** A non-negative amount in base units (a tolerance may be 0). */
const BaseUnits = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'expected a non-negative integer in base units')
  .transform(BigInt);

const EvmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected an EVM address (0x and 40 hex digits)');
const OperatedByRole = z
  .object({ fee: z.array(EvmAddress).optional(), sweep: z.array(EvmAddress).optional(), cold: z.array(EvmAddress).optional() })
  .strict();

/**
 * An asset's hot-wallet tiers (docs/treasury.md "Tiers"), base units: above `cap` the excess goes to `cold` after
 * review; below `floor` an alarm asks operators to refill. `cold`: an address, or the xpub of an offline wallet's
 * account (its first receive address, /0/0, is used).
 */
const TierPolicy = z
  .object({
    cap: BaseUnits.optional(),
    floor: BaseUnits.optional(),
    cold: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((t) => t.cap === undefined || t.cold !== undefined, { message: 'a cap needs a cold address', path: ['cold'] })
  .refine((t) => t.cap === undefined || t.floor === undefined || t.floor < t.cap, {
    message: 'the floor must be below the cap',
    path: ['floor'],
  });
export type TierPolicy = z.infer<typeof TierPolicy>;

/** Payout policy of a UTXO chain (see UtxoPayoutFamily). */
const UtxoPayoutPolicy = z
  .object({
    /** How long the first approved withdrawal waits for others to share its transaction (ms). */
    batchWindowMs: z.number().int().min(0).max(3_600_000).optional(),
    /** Most withdrawals one transaction pays (1: no batching). */
    maxOutputs: z.number().int().min(1).max(1000).optional(),
    /** Highest fee rate signsrv signs at, sat/vB (also the most it ever offers). @default 500 */
    maxFeeRate: z.number().int().min(1).max(100_000).optional(),
    /** Blocks a payout should confirm within (estimatesmartfee's target, 1-1008). @default 6 */
    confTarget: z.number().int().min(1).max(1008).optional(),
    /** sat/vB when the node has no estimate (a young node, regtest). @default 10 */
    fallbackFeeRate: z.number().int().min(1).max(100_000).optional(),
    /** Confirmations an output needs before it is spent. */
    minConf: z.number().int().min(1).max(1000).optional(),
    /** How long a build that was never signed holds its inputs (ms). */
    buildLockMs: z.number().int().min(1000).max(86_400_000).optional(),
    /** Consolidate on its own while the fee rate is at most this (sat/vB); never without it (only walletctl). */
    consolidateBelowFeeRate: z.number().int().min(1).max(100_000).optional(),
    /** ... once at least this many outputs are spendable. @default 200 */
    consolidateMinUtxos: z.number().int().min(2).max(1_000_000).optional(),
    /** ... merging at most this many in one transaction. @default 100 */
    consolidateMaxInputs: z.number().int().min(2).max(1000).optional(),
  })
  .strict();
export type UtxoPayoutPolicy = z.infer<typeof UtxoPayoutPolicy>;

/** Sweep policy of an EVM chain (see EvmSweeps, docs/treasury.md "Sweeps"). */
const SweepPolicy = z
  .object({
    /**
     * Per asset of the chain, base units: a deposit address is swept once its credits since its last sweep reach this;
     * for the native asset also the dust left alone (less than this after the fee is not swept). Assets not listed are
     * never swept.
     */
    thresholds: z.record(z.string().min(1), Wei),
    /** At most this many sweeps open (not confirmed or failed) on the chain at once. @default 10 */
    maxInFlight: z.number().int().min(1).max(1000).optional(),
    /** How often the sweep job looks at its rows and for new sweeps (ms). @default 5000 */
    intervalMs: z.number().int().min(100).max(3_600_000).optional(),
  })
  .strict();
export type SweepPolicy = z.infer<typeof SweepPolicy>;

const AuditorName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'auditor names are 1..64 of [A-Za-z0-9_.-]');
/** sha256 of the token, lower-case hex: never the token itself. */
const TokenHash = z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 of the token as 64 lower-case hex characters');

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  /** Node RPC URL per chain id (EVM and UTXO): the chains signsrv pays out on. */
  WALLET_CHAIN_RPC: chainRpcEnv,
  /** Test-only crash points (refused in prod). */
  WALLET_CRASH_POINTS: crashPointsEnv,
  /** gRPC listen address; port 0 lets the OS choose (the bound port is what etcd publishes). */
  SIGNSRV_GRPC_ADDR: hostPort.default('127.0.0.1:0'),
  /** The host peers dial, published in etcd with the bound port (needed when listening on 0.0.0.0: a pod's IP). @default the listen host */
  SIGNSRV_ADVERTISE_HOST: z.string().min(1).optional(),
  /** HTTP API for auditors (and, later, the console). */
  SIGNSRV_HTTP_ADDR: hostPort.default('127.0.0.1:8090'),
  /**
   * HTTP address of /metrics (Prometheus text format), /healthz and /readyz, apart from the service's API
   * (docs/metrics.md). Port 0 lets the OS choose; the bound URL is logged as `metrics ready`.
   */
  SIGNSRV_METRICS_ADDR: hostPort.default('127.0.0.1:9182'),
  /** The encrypted keystore (JSON, see @wallet/signer). Required: signsrv does not start without its keys. */
  SIGNSRV_KEYSTORE_FILE: z.string().min(1),
  /** File holding the key-encryption key (64 hex characters). One of this or SIGNSRV_PASSPHRASE_FILE. */
  SIGNSRV_KEK_FILE: z.string().min(1).optional(),
  /** File holding the keystore passphrase (scrypt). One of this or SIGNSRV_KEK_FILE. */
  SIGNSRV_PASSPHRASE_FILE: z.string().min(1).optional(),
  /**
   * Auditors as JSON {"<name>": "<sha256 hex of the auditor's bearer token>"}; none by default (nobody can decide).
   * Names are 1..64 of [A-Za-z0-9_.-]: they are written as `auditor:<name>` into VARCHAR(100) columns (decided_by,
   * actor) and into Redis messages whose actor is capped at 100.
   */
  SIGNSRV_AUDITORS: jsonRecord(TokenHash, '{"alice": "<sha256 hex of the token, 64 lower-case hex>"}', AuditorName).default({}),
  /** Limits per asset in base units, JSON {"ETH": {"perWithdrawal": "...", "daily": "..."}}; none by default. */
  SIGNSRV_LIMITS: jsonRecord(
    z.object({ perWithdrawal: Wei.optional(), daily: Wei.optional() }).strict(),
    '{"ETH": {"daily": "10"}}',
  ).default({}),
  /**
   * Addresses the wallet operates besides its hot wallet, per chain and role, JSON
   * {"eth": {"fee": ["0x..."], "sweep": ["0x..."], "cold": ["0x..."]}}; none by default. Recorded in MySQL at start
   * (and kept when removed from here): no withdrawal is ever paid to one.
   */
  SIGNSRV_OPERATED_ADDRESSES: jsonRecord(OperatedByRole, '{"eth": {"cold": ["0x..."]}}').default({}),
  /** Highest maxFeePerGas (wei) per EVM chain, JSON; 500 gwei where not given. */
  SIGNSRV_MAX_FEE_PER_GAS: jsonRecord(Wei, '{"eth": "500000000000"}').default({}),
  /**
   * Payout policy per UTXO chain, JSON {"ltc": {"batchWindowMs": 2000, "maxOutputs": 20, "maxFeeRate": 500, "minConf": 1,
   * "buildLockMs": 600000, "consolidateBelowFeeRate": 2, "consolidateMinUtxos": 200, "consolidateMaxInputs": 100}};
   * where not given: no batching, 500 sat/vB at most, 1 confirmation, 10 minutes, no automatic consolidation. `minConf`
   * is what the wallet's own outputs (change) need before they are spent; a customer's deposit output needs the chain's
   * deposit confirmations as well (its native asset's), since its sender can replace it until then.
   */
  SIGNSRV_UTXO_PAYOUTS: jsonRecord(UtxoPayoutPolicy, '{"ltc": {"batchWindowMs": 2000, "maxOutputs": 20}}').default({}),
  /** A transaction not mined after this long is replaced with higher fees (same inputs: nonce or UTXOs). */
  SIGNSRV_BUMP_AFTER_MS: intString(1000, 3_600_000).default(60_000),
  /** An unmined transaction is sent again this often. */
  SIGNSRV_REBROADCAST_MS: intString(500, 3_600_000).default(15_000),
  /** How often the node is asked for the receipts of recently confirmed withdrawals (a missing one is an alarm). */
  SIGNSRV_RECEIPT_CHECK_MS: intString(500, 3_600_000).default(60_000),
  /** How long to wait for transrv to apply a report before sending it again. */
  SIGNSRV_RESEND_AFTER_MS: intString(100, 600_000).default(10_000),
  /**
   * EVM sweeps per chain, JSON {"eth": {"thresholds": {"ETH": "10000000000000000", "USDT": "1000000"}, "maxInFlight": 10,
   * "intervalMs": 5000}}; none by default (deposits stay on their addresses). The fee wallet that tops up gas for token
   * sweeps is derived from the seed (m/44'/60'/2'/0/0; its address is logged at start) and must be funded by operators.
   */
  SIGNSRV_SWEEPS: jsonRecord(SweepPolicy, '{"eth": {"thresholds": {"ETH": "10000000000000000"}}}').default({}),
  /**
   * Reconciliation (docs/treasury.md): a pass this often (ms), comparing each asset's liabilities to users with what
   * the wallet holds; each pass also looks for a journal that does not sum to zero or a negative balance.
   */
  SIGNSRV_RECONCILE_MS: intString(1000, 86_400_000).default(60_000),
  /**
   * How often the journal is looked at for settlements (deposits credited, withdrawals spent, fees booked): a pass of
   * the assets a settlement batch touched follows it, at most one per this interval (ms); 0 turns it off.
   */
  SIGNSRV_RECONCILE_SETTLEMENT_MS: intString(0, 3_600_000).default(2000),
  /**
   * Per asset, the shortfall in base units that does not halt signing, JSON {"ETH": "1000000000000000"}; 0 where not
   * given (any shortfall halts). Exactly the tolerance is not a halt; one base unit more is.
   */
  SIGNSRV_RECONCILE_TOLERANCE: jsonRecord(BaseUnits, '{"ETH": "1000000000000000"}').default({}),
  /**
   * Hot-wallet tiers per asset, JSON {"ETH": {"cap": "...", "floor": "...", "cold": "0x... or xpub..."}}; none by
   * default. The excess over a cap becomes a cold transfer awaiting SIGNSRV_TREASURY_APPROVALS admins; a hot wallet
   * under its floor raises `hot_wallet_below_floor`. Caps and floors for every chain.
   */
  SIGNSRV_TIERS: jsonRecord(
    TierPolicy,
    '{"ETH": {"cap": "100000000000000000000", "floor": "1000000000000000000", "cold": "0x..."}}',
  ).default({}),
  /** The fiat currency the console also shows amounts in (ISO 4217), at the prices transrv keeps (TRANSRV_FIAT_*). */
  SIGNSRV_CONSOLE_FIAT: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code in upper case, like USD')
    .default('USD'),
  /** How many admins (other than the one who asked) approve a treasury move: a cold transfer or a contract call. */
  SIGNSRV_TREASURY_APPROVALS: intString(1, 10).default(2),
  /** The treasury job's pass (ms): treasury moves signed and followed, refills recognised, tiers checked. */
  SIGNSRV_TREASURY_MS: intString(200, 3_600_000).default(5000),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const config = loadEnvConfig(ConfigSchema, env, ['SIGNSRV_']);
  refuseCrashPointsInProd(config);
  if ((config.SIGNSRV_KEK_FILE === undefined) === (config.SIGNSRV_PASSPHRASE_FILE === undefined)) {
    throw new WalletError('CONFIG_INVALID', 'SIGNSRV_KEK_FILE or SIGNSRV_PASSPHRASE_FILE: set exactly one', {
      details: { variables: ['SIGNSRV_KEK_FILE', 'SIGNSRV_PASSPHRASE_FILE'] },
    });
  }
  for (const asset of Object.keys(config.SIGNSRV_TIERS)) {
    const spec = config.WALLET_ASSETS.assets.get(asset);
    if (!spec) {
      throw new WalletError('CONFIG_INVALID', `SIGNSRV_TIERS: ${asset} is not an asset of the registry`, {
        details: { variables: ['SIGNSRV_TIERS'], asset },
      });
    }
  }
  return config;
}
