import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { killWithParent } from '@wallet/launcher';
import { freePort } from './freePort.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Litecoind } from './litecoind.js';
import { waitFor } from './waitFor.js';

// Litecoin Core 0.21 regtest: MWEB is active from block 432, which must carry a peg-in; the mempool takes a peg-in
// only while the next block is MWEB-active, i.e. at tip 431 (as deploy/local/stack.sh does it).
const MWEB_HEIGHT = 432;
const PEGIN_LTC = 10;
const USER = 'private';
const PASSWORD = 'private';

export type PrivateLitecoindOptions = {
  /**
   * The one P2P peer to connect to (`host:port`, e.g. the stack's litecoind on 127.0.0.1:19444): the private node then
   * follows that node's chain, and blocks it mines while connected reach that node. It relays no transactions it hears
   * of (`-blocksonly`), so its mempool holds only what is sent to it. @default none: a chain of its own
   */
  readonly peer?: string;
  /** Without a wallet (`-disablewallet`): faster to follow a long chain; it mines with {@link Litecoind.mineFiller}. @default false */
  readonly walletless?: boolean;
};

/**
 * A litecoind regtest node of one test's own (its datadir under the OS temp dir, its RPC port chosen free, not
 * listening for peers), for what the stack's shared node must never undergo: being stopped and started again on the
 * same datadir and port ({@link stop}, {@link start}), or holding a conflicting mempool. Its wallet `miner` pays and
 * mines, as on the stack (unless `walletless`).
 */
export class PrivateLitecoind extends Litecoind {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly datadir: string,
    readonly rpcPort: number,
    private readonly options: PrivateLitecoindOptions,
  ) {
    super(`http://${USER}:${PASSWORD}@127.0.0.1:${rpcPort}`, 'miner');
  }

  /** Starts a node on a fresh datadir (litecoind must be on PATH, as deploy/local/stack.sh installs it). */
  static async launch(options: PrivateLitecoindOptions = {}): Promise<PrivateLitecoind> {
    const node = new PrivateLitecoind(mkdtempSync(join(tmpdir(), 'wallet-it-ltc-')), await freePort(), options);
    try {
      await node.start();
    } catch (error) {
      await node.destroy();
      throw error;
    }
    return node;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts litecoind on this node's datadir and port, and waits until it answers with its wallet loaded. */
  async start(): Promise<void> {
    if (this.#child) return;
    const peerArgs = this.options.peer === undefined ? ['-connect=0'] : [`-connect=${this.options.peer}`, '-blocksonly=1'];
    const child = spawn(
      'litecoind',
      [
        '-regtest',
        `-datadir=${this.datadir}`,
        '-server=1',
        '-daemon=0',
        '-printtoconsole=0',
        `-rpcuser=${USER}`,
        `-rpcpassword=${PASSWORD}`,
        '-rpcbind=127.0.0.1',
        '-rpcallowip=127.0.0.1',
        `-rpcport=${this.rpcPort}`,
        '-listen=0',
        '-dnsseed=0',
        '-discover=0',
        '-upnp=0',
        '-listenonion=0',
        '-fallbackfee=0.0001',
        // A cluster's signsrv pays out on the node it is given, which needs a transaction index (as the stack's has).
        '-txindex=1',
        // BIP125 replacements, as the stack's node (deploy/local/stack.sh): Litecoin Core refuses them by default, and
        // both signsrv's fee bumps and a test's double-spend of an unconfirmed deposit replace a transaction.
        '-mempoolreplacement=1',
        ...peerArgs,
        ...(this.options.walletless === true ? ['-disablewallet'] : []),
      ],
      { stdio: 'ignore' },
    );
    killWithParent(child);
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      const gone = (): void => {
        if (this.#child === child) this.#child = undefined;
        resolve();
      };
      child.once('exit', gone);
      child.once('error', gone); // not started (no litecoind on PATH)
    });
    await waitFor(
      'the private litecoind to answer',
      async () => {
        if (!this.#child) throw new Error(`litecoind exited during startup: ${this.#debugLogTail()}`);
        return this.call<number>('getblockcount').then(
          (n) => n,
          () => undefined,
        );
      },
      60_000,
    );
    if (this.options.walletless !== true) await this.#ensureWallet();
  }

  /** Stops litecoind the way an operator does (RPC `stop`: it flushes and exits), keeping its datadir. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    await this.call('stop').catch(() => child.kill('SIGTERM'));
    const slow = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await this.#exited;
    clearTimeout(slow);
  }

  /** Stops the node and removes its datadir. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.datadir, { recursive: true, force: true });
  }

  /**
   * Mines to the miner wallet up to `height`, making the MWEB activation block (432) on the way with a peg-in in it.
   * @default height 450 (as the stack: MWEB active, mature coins to spend)
   */
  async mineTo(height = 450): Promise<void> {
    const address = await this.call<string>('getnewaddress', [], true);
    for (let h = await this.height(); h < height; h = await this.height()) {
      if (h === MWEB_HEIGHT - 1) {
        const mweb = await this.call<string>('getnewaddress', ['', 'mweb'], true);
        const pegin = await this.call<string>('sendtoaddress', [mweb, PEGIN_LTC], true);
        await this.call('generatetoaddress', [1, address], true);
        if ((await this.call<{ confirmations: number }>('gettransaction', [pegin], true)).confirmations < 1) {
          throw new Error(`the MWEB peg-in ${pegin} was not mined at ${MWEB_HEIGHT}`);
        }
        continue;
      }
      const until = h < MWEB_HEIGHT - 1 ? Math.min(height, MWEB_HEIGHT - 1) : height;
      await this.call('generatetoaddress', [until - h, address], true);
    }
  }

  async #ensureWallet(): Promise<void> {
    if ((await this.call<string[]>('listwallets')).includes(this.walletName)) return;
    const onDisk = await this.call<{ wallets: { name: string }[] }>('listwalletdir');
    if (onDisk.wallets.some((w) => w.name === this.walletName)) await this.call('loadwallet', [this.walletName]);
    else await this.call('createwallet', [this.walletName]);
  }

  #debugLogTail(): string {
    try {
      return readFileSync(join(this.datadir, 'regtest', 'debug.log'), 'utf8')
        .trim()
        .split('\n')
        .slice(-5)
        .join(' | ');
    } catch {
      return 'no debug.log';
    }
  }
}
