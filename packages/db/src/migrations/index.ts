import type { Knex } from 'knex';
import * as m0001 from './0001_transrv_nodes.js';
import * as m0002 from './0002_accounts_ledger.js';
import * as m0003 from './0003_deposits.js';
import * as m0004 from './0004_withdrawals.js';
import * as m0005 from './0005_payout_hardening.js';
import * as m0006 from './0006_binary_collation.js';
import * as m0007 from './0007_client_secret_rotation.js';
import * as m0008 from './0008_withdrawal_destinations.js';
import * as m0009 from './0009_withdrawal_cancel_key.js';
import * as m0011 from './0011_account_create_key.js';
import * as m0012 from './0012_utxos.js';
import * as m0013 from './0013_utxo_locks.js';
import * as m0014 from './0014_utxo_payouts.js';
import * as m0015 from './0015_utxo_consolidation_requests.js';
import * as m0016 from './0016_review_policies.js';
import * as m0017 from './0017_console_users.js';
import * as m0018 from './0018_audit_log.js';
import * as m0019 from './0019_node_alerts.js';
import * as m0020 from './0020_alert_acks.js';
import * as m0021 from './0021_review_risk_indexes.js';
import * as m0022 from './0022_client_views.js';
import * as m0023 from './0023_client_keys.js';
import * as m0024 from './0024_accounts_by_client.js';
import * as m0025 from './0025_account_status_indexes.js';
import * as m0026 from './0026_sweeps.js';
import * as m0027 from './0027_reserves.js';
import * as m0028 from './0028_reconciliation.js';
import * as m0029 from './0029_treasury_moves.js';
import * as m0030 from './0030_utxo_cold_transfers.js';
import * as m0031 from './0031_events.js';
import * as m0032 from './0032_webhooks.js';
import * as m0033 from './0033_email.js';
import * as m0034 from './0034_fee_rates.js';
import * as m0035 from './0035_fiat_rates.js';
import * as m0036 from './0036_payment_requests.js';
import * as m0037 from './0037_red_packets.js';
import * as m0038 from './0038_withdrawal_stage_index.js';
import * as m0039 from './0039_client_key_sealed_secrets.js';
import * as m0040 from './0040_webhook_sealed_secrets.js';
import * as m0041 from './0041_utxo_dropped_locks.js';
import * as m0042 from './0042_fee_bookings.js';

type Migration = { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> };

/** All migrations in order. Append only: a migration that has run anywhere is never edited. */
export const migrations: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['0001_transrv_nodes', m0001],
  ['0002_accounts_ledger', m0002],
  ['0003_deposits', m0003],
  ['0004_withdrawals', m0004],
  ['0005_payout_hardening', m0005],
  ['0006_binary_collation', m0006],
  ['0007_client_secret_rotation', m0007],
  ['0008_withdrawal_destinations', m0008],
  ['0009_withdrawal_cancel_key', m0009],
  ['0011_account_create_key', m0011],
  ['0012_utxos', m0012],
  ['0013_utxo_locks', m0013],
  ['0014_utxo_payouts', m0014],
  ['0015_utxo_consolidation_requests', m0015],
  ['0016_review_policies', m0016],
  ['0017_console_users', m0017],
  ['0018_audit_log', m0018],
  ['0019_node_alerts', m0019],
  ['0020_alert_acks', m0020],
  ['0021_review_risk_indexes', m0021],
  ['0022_client_views', m0022],
  ['0023_client_keys', m0023],
  ['0024_accounts_by_client', m0024],
  ['0025_account_status_indexes', m0025],
  ['0026_sweeps', m0026],
  ['0027_reserves', m0027],
  ['0028_reconciliation', m0028],
  ['0029_treasury_moves', m0029],
  ['0030_utxo_cold_transfers', m0030],
  ['0031_events', m0031],
  ['0032_webhooks', m0032],
  ['0033_email', m0033],
  ['0034_fee_rates', m0034],
  ['0035_fiat_rates', m0035],
  ['0036_payment_requests', m0036],
  ['0037_red_packets', m0037],
  ['0038_withdrawal_stage_index', m0038],
  ['0039_client_key_sealed_secrets', m0039],
  ['0040_webhook_sealed_secrets', m0040],
  ['0041_utxo_dropped_locks', m0041],
  ['0042_fee_bookings', m0042],
];
