import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { AuditFn } from './Audit.js';
import type { Principal } from './Principal.js';
import { type ReviewRules, ReviewRulesInput, defaultRules, rulesToJson } from './ReviewRules.js';

/** An asset's current policy: its version id (null: the default, never set) and rules. */
export type AssetPolicy = {
  readonly id: string | null;
  readonly asset: string;
  readonly rules: ReviewRules;
  readonly createdBy: string | null;
  readonly createdAt: Date | null;
};

/** The global switches (signing_controls). */
export type SigningControls = {
  /** The kill switch: while set nothing is signed (no payout, replacement or consolidation). */
  readonly paused: boolean;
  readonly pausedBy: string | null;
  readonly pauseReason: string | null;
  readonly pausedAt: Date | null;
  /** Whether bearer tokens of the automation API may decide. */
  readonly automationEnabled: boolean;
  /** How long a new whitelist entry waits before it may be used. */
  readonly whitelistCoolingOffSeconds: number;
};

type PolicyRow = { id: number | string; asset: string; rules: string; created_by: string; created_at: Date };

function toPolicy(r: PolicyRow): AssetPolicy {
  return {
    id: String(r.id),
    asset: r.asset,
    rules: ReviewRulesInput.parse(JSON.parse(r.rules)),
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/**
 * The current policy of `asset` (its latest version), read in the caller's transaction or connection.
 * @param lock `share` inside a decision: an admin's change waits for it, or it sees the change
 */
export async function currentPolicy(db: Knex, asset: string, lock?: 'share'): Promise<AssetPolicy> {
  const q = db<PolicyRow>('withdrawal_policies').where({ asset }).orderBy('id', 'desc').first();
  if (lock === 'share') void q.forShare();
  const row = await q;
  return row ? toPolicy(row) : { id: null, asset, rules: defaultRules, createdBy: null, createdAt: null };
}

/** Every asset's current policy (assets never given one are absent). */
export async function listPolicies(db: Knex): Promise<AssetPolicy[]> {
  const rows = await db<PolicyRow>('withdrawal_policies as p')
    .whereIn('p.id', db('withdrawal_policies').max('id').groupBy('asset'))
    .orderBy('p.asset')
    .select('p.*');
  return rows.map(toPolicy);
}

/**
 * Sets an asset's policy (a new version; earlier ones stay, and withdrawals keep pointing at the one that decided
 * them). Admins only; audited in the same transaction.
 * @throws WalletError FORBIDDEN (not an admin), VALIDATION_FAILED (malformed rules)
 */
export async function setPolicy(db: Knex, audit: AuditFn, by: Principal, asset: string, input: unknown): Promise<AssetPolicy> {
  requireAdmin(by);
  const parsed = ReviewRulesInput.safeParse(input);
  if (!parsed.success) {
    throw new WalletError('VALIDATION_FAILED', 'malformed policy', {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const rules = rulesToJson(parsed.data);
  return withTransaction(db, async (trx) => {
    const before = await currentPolicy(trx, asset);
    const [id] = await trx('withdrawal_policies').insert({ asset, rules: JSON.stringify(rules), created_by: by.id });
    await audit(trx, {
      actor: by.id,
      action: 'policy_changed',
      subject: asset,
      details: { policyId: String(id), before: rulesToJson(before.rules), after: rules },
    });
    return toPolicy((await trx<PolicyRow>('withdrawal_policies').where({ id: id! }).first())!);
  });
}

/** The global switches. */
export async function signingControls(db: Knex, lock?: 'share'): Promise<SigningControls> {
  const q = db('signing_controls').where({ id: 1 }).first<{
    paused: number;
    paused_by: string | null;
    pause_reason: string | null;
    paused_at: Date | null;
    automation_enabled: number;
    whitelist_cooling_off_s: number;
  }>();
  if (lock === 'share') void q.forShare();
  const r = await q;
  if (!r) throw new WalletError('INTERNAL', 'signing_controls has no row: the schema is not migrated');
  return {
    paused: Boolean(r.paused),
    pausedBy: r.paused_by,
    pauseReason: r.pause_reason,
    pausedAt: r.paused_at,
    automationEnabled: Boolean(r.automation_enabled),
    whitelistCoolingOffSeconds: r.whitelist_cooling_off_s,
  };
}

/**
 * Pulls or releases the kill switch. The row is locked for update: a signing transaction that read the switch (for
 * share) commits first, and every signing transaction after this one commits sees it; so once this returns with
 * `paused`, nothing more is signed until it is released.
 * @throws WalletError FORBIDDEN (not an admin), VALIDATION_FAILED (pausing without a reason)
 */
export async function setPaused(db: Knex, audit: AuditFn, by: Principal, paused: boolean, reason: string): Promise<SigningControls> {
  requireAdmin(by);
  const why = reason.trim();
  if (why.length === 0 || why.length > 200) {
    throw new WalletError('VALIDATION_FAILED', 'the kill switch needs a reason (1..200 characters)', { details: { field: 'reason' } });
  }
  await withTransaction(db, async (trx) => {
    await trx('signing_controls').where({ id: 1 }).forUpdate().first();
    await trx('signing_controls')
      .where({ id: 1 })
      .update({
        paused,
        paused_by: paused ? by.id : null,
        pause_reason: paused ? why : null,
        paused_at: paused ? trx.raw('CURRENT_TIMESTAMP(3)') : null,
        updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
      });
    await audit(trx, { actor: by.id, action: paused ? 'signing_paused' : 'signing_resumed', details: { reason: why } });
  });
  return signingControls(db);
}

/**
 * Changes the other switches: the automation role, the whitelist's cooling-off.
 * @throws WalletError FORBIDDEN (not an admin)
 */
export async function setControls(
  db: Knex,
  audit: AuditFn,
  by: Principal,
  change: { readonly automationEnabled?: boolean; readonly whitelistCoolingOffSeconds?: number },
): Promise<SigningControls> {
  requireAdmin(by);
  const cooling = change.whitelistCoolingOffSeconds;
  if (cooling !== undefined && (!Number.isInteger(cooling) || cooling < 0 || cooling > 30 * 86_400)) {
    throw new WalletError('VALIDATION_FAILED', 'the cooling-off is 0..2592000 seconds', {
      details: { field: 'whitelistCoolingOffSeconds' },
    });
  }
  await withTransaction(db, async (trx) => {
    const before = await signingControls(trx);
    await trx('signing_controls')
      .where({ id: 1 })
      .update({
        ...(change.automationEnabled === undefined ? {} : { automation_enabled: change.automationEnabled }),
        ...(cooling === undefined ? {} : { whitelist_cooling_off_s: cooling }),
        updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
      });
    await audit(trx, {
      actor: by.id,
      action: 'controls_changed',
      details: {
        before: { automationEnabled: before.automationEnabled, whitelistCoolingOffSeconds: before.whitelistCoolingOffSeconds },
        change,
      },
    });
  });
  return signingControls(db);
}

/** @throws WalletError FORBIDDEN unless `by` is an admin */
export function requireAdmin(by: Principal): void {
  if (by.role !== 'admin') throw new WalletError('FORBIDDEN', 'only an admin may do this', { details: { principal: by.id } });
}
