import {
  type AddressLike,
  type BaseContract,
  type BigNumberish,
  type ConstantContractMethod,
  type Contract,
  ContractFactory,
  type ContractMethod,
  type ContractTransactionResponse,
  type TransactionResponse,
  JsonRpcProvider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
  Wallet,
} from 'ethers';
import { type ContractName, loadArtifact } from './loadArtifact.js';

/** The local stack's anvil (deploy/local/stack.sh); ETH_RPC_URL is Foundry's own name for it. */
export const ANVIL_RPC_URL = process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545';
export const ANVIL_CHAIN_ID = 31337;

/**
 * anvil's first dev account (from its published test mnemonic): funded with 10,000 ETH on every start. Its key is
 * public knowledge, so it signs on anvil only.
 */
export const ANVIL_DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/**
 * Gas for transactions that are meant to fail. `eth_estimateGas` refuses a call that reverts, so a status-0
 * transaction must carry its own limit; this covers the revert of any fixture here with room to spare.
 */
export const FAILING_TX_GAS_LIMIT = 200_000n;

/**
 * A provider for anvil that asks it nothing it need not ask.
 * @param url - the JSON-RPC endpoint
 * @default url ANVIL_RPC_URL
 * @returns a provider; call `destroy()` when done, or its polling keeps the process alive
 */
export function anvilProvider(url: string = ANVIL_RPC_URL): JsonRpcProvider {
  return new JsonRpcProvider(url, ANVIL_CHAIN_ID, {
    // The chain id is known: no eth_chainId round trip before every request.
    staticNetwork: true,
    // anvil automines, so a receipt exists as soon as eth_sendRawTransaction returns: poll fast.
    pollingInterval: 50,
    // ethers otherwise serves the same request from a 250 ms cache, so a balance read right after a transfer
    // returns the balance from before it, and two quick sends can be given the same nonce.
    cacheTimeout: -1,
  });
}

/** anvil's first dev account as a signer on `provider`. */
export function anvilDeployer(provider: JsonRpcProvider): Wallet {
  return new Wallet(ANVIL_DEPLOYER_KEY, provider);
}

type Tx = ContractTransactionResponse;
type Send<A extends unknown[], R = void> = ContractMethod<A, R, Tx>;

interface Erc20Methods {
  name: ConstantContractMethod<[], string>;
  symbol: ConstantContractMethod<[], string>;
  decimals: ConstantContractMethod<[], bigint>;
  totalSupply: ConstantContractMethod<[], bigint>;
  balanceOf: ConstantContractMethod<[owner: AddressLike], bigint>;
  allowance: ConstantContractMethod<[owner: AddressLike, spender: AddressLike], bigint>;
  mint: Send<[to: AddressLike, value: BigNumberish]>;
  approve: Send<[spender: AddressLike, value: BigNumberish], boolean>;
  transfer: Send<[to: AddressLike, value: BigNumberish], boolean>;
  transferFrom: Send<[from: AddressLike, to: AddressLike, value: BigNumberish], boolean>;
}

// Hand-written mirrors of the ABIs: deployAs() checks at deploy time that each listed function is in the ABI.
export type TestToken = BaseContract & Erc20Methods;
export type FalseReturningToken = BaseContract & Erc20Methods & { refusedTransfers: ConstantContractMethod<[], bigint> };
export type SpoofEmitter = BaseContract & {
  name: ConstantContractMethod<[], string>;
  symbol: ConstantContractMethod<[], string>;
  decimals: ConstantContractMethod<[], bigint>;
  emitTransfer: Send<[from: AddressLike, to: AddressLike, value: BigNumberish]>;
  emitTransferAs: Send<[token: AddressLike, from: AddressLike, to: AddressLike, value: BigNumberish]>;
};
export type EtherForwarder = BaseContract & { forward: Send<[to: AddressLike]> };
export type Reverter = BaseContract & { fail: Send<[]> };
export type Gate = BaseContract & { close: Send<[]>; open: ConstantContractMethod<[], boolean> };

export interface TokenOptions {
  name: string;
  symbol: string;
  decimals: number;
}

/**
 * Deploys a compiled fixture and waits until it is mined.
 * @param name - the contract (its artifact in `test/contracts/artifacts/`)
 * @param args - the constructor's arguments
 * @param signer - pays for and signs the deployment
 * @returns the contract, connected to `signer`; `deploymentTransaction()` gives the transaction that created it
 */
export async function deployContract(name: ContractName, args: readonly unknown[], signer: Signer): Promise<Contract> {
  const { abi, bytecode } = loadArtifact(name);
  const deployed = await new ContractFactory(abi, bytecode, signer).deploy(...args);
  await deployed.waitForDeployment();
  return deployed as Contract;
}

/** The plain ERC20; deploy it twice with the same name and symbol for a look-alike. */
export function deployTestToken(signer: Signer, { name, symbol, decimals }: TokenOptions): Promise<TestToken> {
  return deployAs<TestToken>('TestToken', [name, symbol, decimals], signer, ERC20_FUNCTIONS);
}

export function deployFalseReturningToken(signer: Signer, { name, symbol, decimals }: TokenOptions): Promise<FalseReturningToken> {
  return deployAs<FalseReturningToken>('FalseReturningToken', [name, symbol, decimals], signer, {
    ...ERC20_FUNCTIONS,
    refusedTransfers: true,
  });
}

/** The fee-on-transfer ERC20: a transfer delivers 1 % less than it takes (and logs what it delivered). */
export function deployTaxedToken(signer: Signer, { name, symbol, decimals }: TokenOptions): Promise<TestToken> {
  return deployAs<TestToken>('TaxedToken', [name, symbol, decimals], signer, ERC20_FUNCTIONS);
}

export function deploySpoofEmitter(signer: Signer): Promise<SpoofEmitter> {
  return deployAs<SpoofEmitter>('SpoofEmitter', [], signer, {
    name: true,
    symbol: true,
    decimals: true,
    emitTransfer: true,
    emitTransferAs: true,
  });
}

export function deployEtherForwarder(signer: Signer): Promise<EtherForwarder> {
  return deployAs<EtherForwarder>('EtherForwarder', [], signer, { forward: true });
}

export function deployReverter(signer: Signer): Promise<Reverter> {
  return deployAs<Reverter>('Reverter', [], signer, { fail: true });
}

export function deployGate(signer: Signer): Promise<Gate> {
  return deployAs<Gate>('Gate', [], signer, { close: true, open: true });
}

/**
 * Waits until a sent transaction is mined, by polling its receipt, and throws if it reverted (as ethers'
 * `wait()` does). ethers' own wait listens for new blocks after a first receipt check; anvil mines on
 * submission, so when the block lands between the two, no later block ever arrives and the wait hangs
 * (seen under load). Polling has no such window.
 * @param tx a sent transaction (or the promise of one)
 * @param timeoutMs @default 30000
 */
export async function mined(tx: TransactionResponse | Promise<TransactionResponse>, timeoutMs = 30_000): Promise<TransactionReceipt> {
  const sent = await tx;
  const started = Date.now();
  for (;;) {
    const receipt = await sent.provider.getTransactionReceipt(sent.hash);
    if (receipt !== null) {
      if (receipt.status === 0) throw new Error(`transaction ${sent.hash} reverted`);
      return receipt;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`transaction ${sent.hash} was not mined within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Sends a transaction that reverts and returns its mined receipt, which has status 0. The gas limit is set
 * (default FAILING_TX_GAS_LIMIT) so that ethers does not estimate gas, which would refuse the call; and the
 * receipt is awaited through the provider, since `tx.wait()` throws on status 0.
 * @param signer - signs and sends; must be connected to a provider
 * @param request - e.g. `{ to: reverter, value }`, or `await token.transfer.populateTransaction(to, tooMuch)`
 * @returns the receipt; throws FailingTxSucceededError (code FAILING_TX_SUCCEEDED) if the transaction went through,
 *   so a test cannot pass on a transfer that moved funds
 */
export async function sendFailingTx(signer: Signer, request: TransactionRequest): Promise<TransactionReceipt> {
  const provider = signer.provider;
  if (provider === null) throw new Error('sendFailingTx: the signer has no provider');
  const tx = await signer.sendTransaction({ ...request, gasLimit: request.gasLimit ?? FAILING_TX_GAS_LIMIT });
  // Poll the receipt directly: anvil mines on submission, and ethers' block-event wait can miss a block that
  // was mined before its listener started (seen once as a 30 s timeout under load).
  let receipt: TransactionReceipt | null = null;
  for (const started = Date.now(); receipt === null && Date.now() - started < 30_000;) {
    receipt = await provider.getTransactionReceipt(tx.hash);
    if (receipt === null) await new Promise((r) => setTimeout(r, 50));
  }
  if (receipt === null) throw new Error(`sendFailingTx: ${tx.hash} was not mined`);
  if (receipt.status !== 0) throw new FailingTxSucceededError(receipt);
  return receipt;
}

/** sendFailingTx's transaction went through: the fixture or the request does not fail the way the test assumes. */
export class FailingTxSucceededError extends Error {
  readonly code = 'FAILING_TX_SUCCEEDED';
  override readonly name = 'FailingTxSucceededError';

  constructor(readonly receipt: TransactionReceipt) {
    super(`${receipt.hash} succeeded (status ${receipt.status}), expected it to revert`);
  }
}

const ERC20_FUNCTIONS = {
  name: true,
  symbol: true,
  decimals: true,
  totalSupply: true,
  balanceOf: true,
  allowance: true,
  mint: true,
  approve: true,
  transfer: true,
  transferFrom: true,
} as const satisfies Record<keyof Erc20Methods, true>;

/**
 * Deploys `name` and views it as `T`. `functions` must name every function of `T` (the compiler sees to that),
 * and each is checked against the ABI, so a typed handle cannot promise a function the contract lacks.
 */
async function deployAs<T extends BaseContract>(
  name: ContractName,
  args: readonly unknown[],
  signer: Signer,
  functions: Record<Exclude<keyof T, keyof BaseContract>, true>,
): Promise<T> {
  const contract = await deployContract(name, args, signer);
  const missing = Object.keys(functions).filter((f) => !contract.interface.hasFunction(f));
  if (missing.length > 0) throw new Error(`${name}'s ABI has no ${missing.join(', ')}: update its type in test/contracts/deploy.ts`);
  return contract as unknown as T;
}
