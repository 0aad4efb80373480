import type { Knex } from 'knex';

/**
 * signsrv's audit log: logins, decisions, policy, whitelist, user and kill-switch changes, signatures. Each row holds
 * the hash of the one before it (`@wallet/audit` computes and verifies the hashes), so a changed, deleted or
 * re-hashed row breaks the chain where it happened.
 *
 * `audit_head` is one row (id 1) with the last seq and hash. Every append locks it FOR UPDATE in the caller's
 * transaction, so appends serialize: seq is head + 1 (no gaps, no two rows claiming the same predecessor), and a
 * rolled-back append leaves nothing behind. It also lets a verifier notice a truncated tail, which no row can show.
 *
 * Triggers refuse UPDATE and DELETE on the log, and on the head anything but a one-step advance onto a row just
 * appended on top of it. They stop mistakes and ordinary users, not MySQL root (who can drop them): against root the
 * chain only makes tampering evident. TRUNCATE fires no trigger: the service's MySQL user must not hold DROP.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('audit_log', (t) => {
    t.bigInteger('seq').unsigned().primary();
    t.datetime('at', { precision: 3 }).notNullable();
    t.string('actor', 100).notNullable();
    t.string('action', 64).notNullable();
    t.string('subject', 100).nullable();
    t.text('details').notNullable();
    t.specificType('prev_hash', 'CHAR(64)').notNullable();
    t.specificType('hash', 'CHAR(64)').notNullable();
    // The console's filters, newest first.
    t.index(['action', 'seq']);
    t.index(['actor', 'seq']);
    t.index(['subject', 'seq']);
  });
  await db.raw(`
    CREATE TRIGGER audit_log_append_only_u BEFORE UPDATE ON audit_log FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only'`);
  await db.raw(`
    CREATE TRIGGER audit_log_append_only_d BEFORE DELETE ON audit_log FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only'`);

  await db.schema.createTable('audit_head', (t) => {
    t.tinyint('id').unsigned().primary();
    t.bigInteger('seq').unsigned().notNullable();
    t.specificType('hash', 'CHAR(64)').notNullable();
  });
  await db.raw('ALTER TABLE audit_head ADD CONSTRAINT audit_head_one_row CHECK (id = 1)');
  // Genesis: the first entry's prev_hash is 64 zeros.
  await db('audit_head').insert({ id: 1, seq: 0, hash: '0'.repeat(64) });
  // The appender inserts the row first, then moves the head onto it: the head may only advance by one, onto a row
  // whose prev_hash is the old head (its own uncommitted insert is visible to the trigger's read).
  await db.raw(`
    CREATE TRIGGER audit_head_advances_by_one BEFORE UPDATE ON audit_head FOR EACH ROW
    BEGIN
      IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
           SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_head only advances onto the entry appended after it';
      END IF;
    END`);
  await db.raw(`
    CREATE TRIGGER audit_head_is_kept BEFORE DELETE ON audit_head FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_head is never deleted'`);
}

export async function down(db: Knex): Promise<void> {
  // Dropping a table drops its triggers.
  await db.schema.dropTable('audit_head');
  await db.schema.dropTable('audit_log');
}
