import { randomBytes } from 'node:crypto';
import { deploymentCode } from './testContracts.js';

/** The receipt fields the tests read, as anvil returns them (hex strings). */
export type DevReceipt = {
  transactionHash: string;
  blockHash: string;
  blockNumber: string;
  status: string;
  contractAddress: string | null;
  logs: { address: string; logIndex: string }[];
};

/** A transaction for eth_sendTransaction from an unlocked or impersonated account. */
export type DevTransaction = { from: string; to?: string; value?: bigint; data?: string; gas?: bigint };

/**
 * A test driver for anvil: sends transactions from impersonated accounts and reads receipts. It is trusted test
 * tooling, not production code: it does not validate what anvil answers.
 */
export class DevChain {
  private nextId = 0;

  /** @param rpcUrl anvil's JSON-RPC endpoint */
  constructor(readonly rpcUrl: string) {}

  /** One JSON-RPC call; a JSON-RPC error becomes an Error with its message. */
  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    const response = await fetch(this.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.nextId, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  /**
   * A fresh random account with `balance` wei that anvil signs for. Tests send from their own accounts so they
   * never race other users of the shared anvil for the dev accounts' nonces.
   */
  async fundedAccount(balance = 10n ** 21n): Promise<string> {
    const address = randomAddress();
    await this.request('anvil_setBalance', [address, hex(balance)]);
    await this.request('anvil_impersonateAccount', [address]);
    return address;
  }

  /** Sends a transaction (automine: mined on return) and returns its receipt. */
  async send(tx: DevTransaction): Promise<DevReceipt> {
    const hash = await this.request<string>('eth_sendTransaction', [toRpcTransaction(tx)]);
    return this.receipt(hash);
  }

  /**
   * The receipt of a transaction, waiting up to 10 s for it to be mined: anvil may answer eth_sendTransaction before
   * its automine has stored the block, when other clients keep it busy.
   */
  async receipt(hash: string): Promise<DevReceipt> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const receipt = await this.request<DevReceipt | null>('eth_getTransactionReceipt', [hash]);
      if (receipt !== null) return receipt;
      if (Date.now() > deadline) throw new Error(`no receipt for ${hash}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Deploys `runtime` (hex without 0x) and returns the contract's lower-case address. */
  async deploy(from: string, runtime: string): Promise<string> {
    const receipt = await this.send({ from, data: deploymentCode(runtime) });
    if (receipt.status !== '0x1' || receipt.contractAddress === null) throw new Error('deployment failed');
    return receipt.contractAddress.toLowerCase();
  }

  /** Mines one empty block and returns its number. */
  async mine(): Promise<number> {
    await this.request('evm_mine');
    return Number(await this.request<string>('eth_blockNumber'));
  }
}

/** A random lower-case 20-byte address nobody controls. */
export function randomAddress(): string {
  return `0x${randomBytes(20).toString('hex')}`;
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

function toRpcTransaction(tx: DevTransaction): Record<string, string> {
  const rpc: Record<string, string> = { from: tx.from };
  if (tx.to !== undefined) rpc['to'] = tx.to;
  if (tx.value !== undefined) rpc['value'] = hex(tx.value);
  if (tx.data !== undefined) rpc['input'] = tx.data;
  if (tx.gas !== undefined) rpc['gas'] = hex(tx.gas);
  return rpc;
}
