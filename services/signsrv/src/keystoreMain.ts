// `pnpm signsrv:keystore ...` from the repository root: see keystoreCli.ts.
import { runKeystoreCli } from './keystoreCli.js';

const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
process.exitCode = runKeystoreCli(process.argv.slice(2), io);
