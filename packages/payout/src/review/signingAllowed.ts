import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { signingControls } from './policyStore.js';

/**
 * Refuses to sign while the kill switch is pulled. Called inside every transaction that stores a signature (payouts,
 * replacements, consolidations), before it signs: the switch's row is read for share, so pulling it waits for the
 * signing transactions already past this point, and no later one signs.
 * @throws WalletError SIGNING_PAUSED
 */
export async function assertSigningAllowed(trx: Knex.Transaction): Promise<void> {
  const controls = await signingControls(trx, 'share');
  if (controls.paused) {
    throw new WalletError('SIGNING_PAUSED', 'signing is paused by an admin (kill switch)', {
      details: { pausedBy: controls.pausedBy, reason: controls.pauseReason },
    });
  }
}
