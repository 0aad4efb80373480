// `pnpm walletctl ...` (node packages/walletctl/dist/main.js) from the repository root.
import { describeFailure, runWalletctl } from './walletctl.js';

const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
try {
  process.exitCode = await runWalletctl(process.argv.slice(2), io);
} catch (error) {
  io.err(`walletctl: ${describeFailure(error)}`);
  process.exitCode = 1;
}
