import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A private anvil process, for tests and benchmarks that must not disturb the shared one of the local stack. */
export type AnvilProcess = {
  /** `http://127.0.0.1:<port>` */
  readonly rpcUrl: string;
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  readonly stop: () => Promise<void>;
};

/**
 * The native anvil binary of the devDependency `@foundry-rs/anvil` (its platform package), run directly rather than
 * through the package's node launcher: one process to stop, none to orphan.
 */
function anvilBinary(): string {
  const launcher = createRequire(import.meta.url).resolve('@foundry-rs/anvil/package.json');
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  return join(dirname(createRequire(launcher).resolve(platformPackage)), 'bin', binary);
}

/**
 * Starts anvil on a free port (`--port 0`; anvil prints the port it bound) and waits until it listens. Do not pass
 * `--silent`: it hides that line.
 * @param options.chainId the EVM chain id to serve
 * @param options.args further anvil arguments (e.g. `['--no-mining']`)
 * @param options.binary an anvil executable; default: `ANVIL_BIN`, else the binary of the `@foundry-rs/anvil` package
 * @returns the running process
 */
export async function startAnvil(options: { chainId: number; args?: readonly string[]; binary?: string }): Promise<AnvilProcess> {
  const binary = options.binary ?? process.env['ANVIL_BIN'] ?? anvilBinary();
  const child = spawn(binary, ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(options.chainId), ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(output);
      if (match?.[1] === undefined) return;
      settle();
      resolve(Number(match[1]));
    };
    const onFailure = (error: Error): void => {
      settle();
      child.kill('SIGKILL');
      reject(error);
    };
    const onExit = (code: number | null): void =>
      onFailure(new Error(`anvil exited with ${String(code)} before listening: ${output.slice(-500)}`));
    const timer = setTimeout(() => onFailure(new Error(`anvil did not listen within 30 s: ${output.slice(-500)}`)), 30_000);
    const settle = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onOutput);
      child.stderr?.off('data', onOutput);
      child.off('error', onFailure);
      child.off('exit', onExit);
      // Keep draining the pipes: a chatty anvil must never block on a full one.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', onFailure);
    child.once('exit', onExit);
  });
  // A test run that dies without stopping it must not leave anvil behind.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      process.off('exit', killOnExit);
      await stopProcess(child);
    },
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A bare JSON-RPC call to a development node (anvil's own methods: `anvil_setBalance`, `evm_mine`, impersonated
 * `eth_sendTransaction`), for tests and benchmarks that act on the chain beside the system.
 * @returns the call's result
 * @throws Error naming the method when the node answers an error
 */
export async function devRpc<T>(rpcUrl: string, method: string, params: readonly unknown[] = []): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}
