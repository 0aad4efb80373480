import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * The watchdog's program. It reads `+pid` and `-pid` lines on stdin (a service started, a service gone) and, when
 * stdin ends (the launcher's end of the pipe closes, which the kernel does when the launcher dies, even by SIGKILL),
 * kills every service still listed. Only pids the launcher has not seen exit are killed, so a pid the system has
 * given to another process since is left alone.
 */
const WATCHDOG = `
const live = new Set();
let buffered = '';
const killAll = () => {
  for (const pid of live) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let end;
  while ((end = buffered.indexOf('\\n')) >= 0) {
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    const pid = Number(line.slice(1));
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    if (line[0] === '+') live.add(pid); else live.delete(pid);
  }
});
process.stdin.on('end', killAll);
process.stdin.on('error', killAll);
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
`;

let watchdog: { readonly child: ChildProcess; readonly input: Socket } | undefined;

function ensureWatchdog(): { readonly child: ChildProcess; readonly input: Socket } {
  if (watchdog && watchdog.child.exitCode === null && watchdog.child.signalCode === null) return watchdog;
  // Its own process group: a terminal's Ctrl-C (or a group kill of the launcher) must not end it before it has
  // done its work. It ignores SIGTERM and SIGINT for the same reason, and leaves when its stdin ends.
  const child = spawn(process.execPath, ['-e', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  const input = child.stdin as Socket;
  // Neither the watchdog nor the pipe to it keeps the launcher's event loop alive.
  child.unref();
  input.unref();
  input.on('error', () => undefined);
  watchdog = { child, input };
  return watchdog;
}

/**
 * Makes `child` die with this process: if the launcher (a test runner, the local cluster's runner) is killed, even
 * by SIGKILL, a watchdog process kills the services it started that are still running, instead of leaving them
 * serving, scanning and holding ports. Linux's parent-death signal is not reachable from Node, so a watchdog reading
 * a pipe from the launcher stands in for it.
 */
export function killWithParent(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const { input } = ensureWatchdog();
  input.write(`+${pid}\n`);
  child.once('exit', () => {
    if (watchdog?.input === input && !input.destroyed) input.write(`-${pid}\n`);
  });
}
