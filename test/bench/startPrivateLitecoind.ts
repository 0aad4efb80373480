import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../harness/freePort.js';

/** A litecoind regtest node of the benchmark's own: its datadir in a temp folder, its RPC port chosen free, not listening for peers. */
export type PrivateLitecoind = {
  /** `http://user:password@127.0.0.1:port`, as the UTXO adapter takes it. */
  readonly rpcUrl: string;
  /** One JSON-RPC call (wallet calls go to `/wallet/<name>` when `wallet` is given). */
  call<T>(method: string, params?: readonly unknown[], wallet?: string): Promise<T>;
  /** One JSON-RPC batch of calls to the same method; throws on the first error. */
  batch<T>(method: string, paramsList: readonly (readonly unknown[])[]): Promise<T[]>;
  stop(): Promise<void>;
};

const USER = 'bench';
const PASSWORD = 'bench';

/** Starts litecoind (must be on PATH, as deploy/local/stack.sh installs it) and waits until it answers. */
export async function startPrivateLitecoind(): Promise<PrivateLitecoind> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ltc-'));
  const rpcPort = await freePort();
  const child: ChildProcess = spawn(
    'litecoind',
    [
      '-regtest',
      `-datadir=${dir}`,
      '-server=1',
      '-daemon=0',
      '-printtoconsole=0',
      `-rpcuser=${USER}`,
      `-rpcpassword=${PASSWORD}`,
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      `-rpcport=${rpcPort}`,
      '-listen=0',
      '-dnsseed=0',
      '-discover=0',
      '-upnp=0',
      '-listenonion=0',
      '-fallbackfee=0.0001',
      '-rpcworkqueue=64',
      '-rpcthreads=8',
      '-maxmempool=1000',
      '-limitancestorcount=1000',
      '-limitdescendantcount=1000',
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  const base = `http://127.0.0.1:${rpcPort}`;
  const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: auth }, body: JSON.stringify(body) });
    return res.json();
  };
  const call = async <T>(method: string, params: readonly unknown[] = [], wallet?: string): Promise<T> => {
    const answer = (await post(wallet === undefined ? '/' : `/wallet/${wallet}`, { jsonrpc: '1.0', id: 0, method, params })) as {
      result: T;
      error: { message: string } | null;
    };
    if (answer.error) throw new Error(`litecoind ${method}: ${answer.error.message}`);
    return answer.result;
  };
  const batch = async <T>(method: string, paramsList: readonly (readonly unknown[])[]): Promise<T[]> => {
    const answers = (await post(
      '/',
      paramsList.map((params, id) => ({ jsonrpc: '1.0', id, method, params })),
    )) as { id: number; result: T; error: { message: string } | null }[];
    return answers
      .sort((a, b) => a.id - b.id)
      .map((a) => {
        if (a.error) throw new Error(`litecoind ${method}: ${a.error.message}`);
        return a.result;
      });
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((done) => setTimeout(done, 30_000))]);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error('litecoind exited during startup (is it installed? deploy/local/stack.sh up installs it)');
    try {
      await call('getblockcount');
      break;
    } catch {
      if (Date.now() - started > 60_000) {
        await stop();
        throw new Error('litecoind did not answer within 60 s');
      }
      await new Promise((done) => setTimeout(done, 300));
    }
  }
  return { rpcUrl: `http://${USER}:${PASSWORD}@127.0.0.1:${rpcPort}`, call, batch, stop };
}
