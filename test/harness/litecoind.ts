/** The stack litecoind's JSON-RPC URL (deploy/local/stack.sh: regtest, MWEB active, a funded `miner` wallet). */
export const ltcRpcUrl = process.env['LTC_RPC_URL'] ?? 'http://wallet:wallet@127.0.0.1:19443';
/** The stack litecoind's P2P address (`host:port`), for a private node that follows its chain. */
export const ltcP2pAddress = process.env['LTC_P2P_ADDRESS'] ?? '127.0.0.1:19444';
const minerWallet = process.env['LTC_MINER_WALLET'] ?? 'miner';

/**
 * A litecoind driven the way a test needs: pay with the node's wallet, mine, and make reorgs with invalidateblock /
 * reconsiderblock. The stack's node by default; a private node (PrivateLitecoind.ts) passes its own URL.
 */
export class Litecoind {
  #id = 0;

  /**
   * @param rpcUrl `http://user:password@host:port` @default the stack's (LTC_RPC_URL)
   * @param walletName the wallet that pays and mines @default LTC_MINER_WALLET or `miner`
   */
  constructor(
    readonly rpcUrl: string = ltcRpcUrl,
    readonly walletName: string = minerWallet,
  ) {}

  async call<T>(method: string, params: unknown[] = [], wallet = false): Promise<T> {
    const url = new URL(this.rpcUrl);
    const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
    url.username = '';
    url.password = '';
    if (wallet) url.pathname = `/wallet/${this.walletName}`;
    let response: Response;
    for (let attempt = 0; ; attempt++) {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${auth}` },
        body: JSON.stringify({ jsonrpc: '1.0', id: ++this.#id, method, params }),
      });
      // litecoind answers HTTP 500 "Work queue depth exceeded" when too many calls are in flight: wait and ask again.
      if (response.status !== 500 || response.headers.get('content-type')?.includes('json') || attempt >= 20) break;
      await response.text();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const body = (await response.json()) as { result: T; error: { code: number; message: string } | null };
    if (body.error) throw new Error(`litecoind ${method}: ${body.error.message} (${body.error.code})`);
    return body.result;
  }

  /** Sends `amounts` (address -> LTC as a decimal string) in one transaction from the miner wallet. @returns txid */
  async sendMany(amounts: Record<string, string>): Promise<string> {
    return this.call<string>('sendmany', ['', Object.fromEntries(Object.entries(amounts).map(([a, v]) => [a, Number(v)]))], true);
  }

  /** Mines `n` blocks (with the mempool's transactions) to the miner wallet. @returns their hashes */
  async mine(n: number): Promise<string[]> {
    const address = await this.call<string>('getnewaddress', [], true);
    return this.call<string[]>('generatetoaddress', [n, address], true);
  }

  /**
   * Mines `n` blocks (with the mempool's transactions) whose coinbases pay an anyone-can-spend script (OP_TRUE) outside
   * the wallet: filler blocks by the hundred that do not grow the miner wallet (each coin there slows its calls).
   * @returns their hashes
   */
  async mineFiller(n: number): Promise<string[]> {
    return this.call<string[]>('generatetodescriptor', [n, 'raw(51)']);
  }

  /** Keeps `txid` out of (or lets it back into) the blocks this node mines: a fork without it. */
  async exclude(txid: string, excluded: boolean): Promise<void> {
    await this.call('prioritisetransaction', [txid, 0, excluded ? -1_000_000_000 : 1_000_000_000]);
  }

  async height(): Promise<number> {
    return this.call<number>('getblockcount');
  }
}
