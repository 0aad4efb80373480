import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A private anvil process: benchmarks must neither load nor read the shared one of the local stack (port 8545). */
export type PrivateAnvil = {
  /** `http://127.0.0.1:<port>` */
  readonly rpcUrl: string;
  readonly pid: number;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  readonly stop: () => Promise<void>;
};

/**
 * The native binary of the root devDependency `@foundry-rs/anvil`, not its node launcher in node_modules/.bin: one
 * process to stop, none to orphan, and no node process in front of the node that is being measured.
 */
function anvilBinary(): string {
  const launcher = createRequire(import.meta.url).resolve('@foundry-rs/anvil/package.json');
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return join(dirname(createRequire(launcher).resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`)), 'bin', 'anvil');
}

/**
 * Starts anvil on a free port (`--port 0`: anvil prints the port it bound, which is also why `--quiet` is not used)
 * and waits until it listens. The same approach as @wallet/chains' own startAnvil, which that package does not export.
 * @param options.chainId the EVM chain id to serve
 * @param options.args further anvil arguments
 * @param options.binary an anvil executable @default ANVIL_BIN, else the binary of `@foundry-rs/anvil`
 */
export async function startPrivateAnvil(options: { chainId: number; args?: readonly string[]; binary?: string }): Promise<PrivateAnvil> {
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
      // anvil logs every call it serves: keep draining the pipes, or it blocks on a full one mid-benchmark.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', onFailure);
    child.once('exit', onExit);
  });
  // A benchmark that dies half-way must not leave its anvil behind.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
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
