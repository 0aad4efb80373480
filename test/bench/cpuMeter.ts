import { execSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const clockTicks = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) process `pid` has used so far, from /proc (Linux); null where it cannot be read. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid ...`: comm may hold spaces, so fields are counted after its closing parenthesis;
    // from there utime and stime (fields 14 and 15 of proc(5)) are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

/** Process ids by command name (e.g. `mariadbd`, `anvil`): the stack's shared servers, which are not our children. */
export function pidsNamed(names: readonly string[]): Record<string, number> {
  const found: Record<string, number> = {};
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return found;
  }
  for (const entry of entries) {
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(comm) && found[comm] === undefined) found[comm] = Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Starts counting the CPU time of the named processes (and of this one, as `bench`).
 * @returns a function giving the CPU seconds each used since the start (processes that ended are left out)
 */
export function startCpuMeter(pids: Readonly<Record<string, number>>): () => Record<string, number> {
  const self = process.cpuUsage();
  const before = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  return () => {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const start = before.get(name);
      const now = cpuSecondsOf(pid);
      if (start !== null && start !== undefined && now !== null) used[name] = Math.round((now - start) * 100) / 100;
    }
    const own = process.cpuUsage(self);
    used['bench'] = Math.round((own.user + own.system) / 1e4) / 100;
    return used;
  };
}
