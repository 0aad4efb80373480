import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { assetHaltedError, haltedAssets } from './assetHalts.js';
import { signingControls } from './policyStore.js';

/**
 * Refuses to sign while the kill switch is pulled, globally or for one of `assets`. Called inside every transaction
 * that stores a signature (payouts, replacements, consolidations), before it signs: the switches' rows are read for
 * share, so pulling one waits for the signing transactions already past this point, and no later one signs.
 * @param assets the assets the transaction signs for (their per-asset switches, asset_signing_halts)
 * @throws WalletError SIGNING_PAUSED
 */
export async function assertSigningAllowed(trx: Knex.Transaction, assets: readonly string[] = []): Promise<void> {
  const controls = await signingControls(trx, 'share');
  if (controls.paused) {
    throw new WalletError('SIGNING_PAUSED', 'signing is paused by an admin (kill switch)', {
      details: { pausedBy: controls.pausedBy, reason: controls.pauseReason },
    });
  }
  const halted = await haltedAssets(trx, assets, 'share');
  const first = halted.values().next();
  if (!first.done) throw assetHaltedError(first.value);
}
