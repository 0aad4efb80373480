// The SDK's quick start: open an account for one of your users, give it a deposit address, list its deposits and
// move funds to a second account. Run it against the local cluster (README: the two commands; docs/sandbox.md):
//
//   pnpm walletctl clients create --name "My exchange"     # prints keyId and secret
//   export WALLET_URL=http://127.0.0.1:8080 WALLET_KEY_ID=key_... WALLET_SECRET=...
//   pnpm -F @wallet/examples quickstart user-42             # run it again once the address is funded
//
// Amounts are strings of integers in base units (wei for ETH); the SDK also takes bigints.
import { WalletClient, isWalletApiError } from '@wallet/client';

const { WALLET_URL = 'http://127.0.0.1:8080', WALLET_KEY_ID, WALLET_SECRET } = process.env;
if (WALLET_KEY_ID === undefined || WALLET_SECRET === undefined) {
  console.error('set WALLET_KEY_ID and WALLET_SECRET (from `pnpm walletctl clients create`)');
  process.exit(2);
}
const externalId = process.argv[2] ?? 'user-42';

const wallet = new WalletClient({ baseUrl: WALLET_URL, keyId: WALLET_KEY_ID, secret: WALLET_SECRET });

try {
  // Creating is idempotent on externalId: running this again finds the same accounts.
  const account = await wallet.accounts.create({ externalId });
  const savings = await wallet.accounts.create({ externalId: `${externalId}-savings` });
  console.log(`account ${account.id} (${externalId}), savings ${savings.id}`);

  // Each call issues a new address; any of them stays the account's for good.
  const { address } = await wallet.addresses.create(account.id, { chain: 'eth' });
  console.log(
    `deposit address ${address} (fund it on the dev chain: pnpm walletctl dev fund --chain eth --address ${address} --amount 0.01)`,
  );

  // Lists are read page by page as the loop goes (newest first). GET /v1/deposits covers every account of yours;
  // its filters (account, asset, status, since, until, order) narrow it.
  for await (const deposit of wallet.deposits.list({ account: account.id })) {
    console.log(`deposit ${deposit.id} ${deposit.amount} ${deposit.asset} ${deposit.status} (${deposit.confirmations} confirmations)`);
  }

  const eth = (await wallet.accounts.balances(account.id)).find((b) => b.asset === 'ETH');
  const available = BigInt(eth?.available ?? '0');
  console.log(`available ${available} wei`);
  if (available === 0n) {
    console.log('nothing to transfer yet: fund the address, wait for the confirmations, run again');
  } else {
    // One Idempotency-Key per logical transfer: keep it with your own record, and a retry (by the SDK after a lost
    // answer, or by you after a crash) can never move the funds twice.
    const transfer = await wallet.transfers.create(
      { from: account.id, to: savings.id, asset: 'ETH', amount: available / 2n },
      { idempotencyKey: `move-${account.id}-${available}` },
    );
    console.log(`transfer ${transfer.id} ${transfer.amount} ETH to savings: ${transfer.status}`);
  }
} catch (error) {
  // Branch on code, never on message; quote requestId to the wallet's operators.
  if (isWalletApiError(error)) {
    console.error(`${error.code} (HTTP ${error.status}, request ${error.requestId}): ${error.message}`, error.details);
    process.exit(1);
  }
  throw error;
}
