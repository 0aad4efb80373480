import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AlertCause, alertCatalogue, alertCauseCatalogue, alertKinds, describeAlert } from './alertCatalogue.js';
import { AlertKind } from './raiseAlert.js';

describe('alertCatalogue', () => {
  it('has a title and a one-line text for every kind and every cause', () => {
    expect(Object.keys(alertCatalogue).sort()).toEqual([...alertKinds].sort());
    expect(Object.keys(alertCauseCatalogue).sort()).toEqual(Object.values(AlertCause).sort());
    for (const d of [...Object.values(alertCatalogue), ...Object.values(alertCauseCatalogue)]) {
      expect(d.title.length).toBeGreaterThan(0);
      expect(d.text).toMatch(/^[^\n]{20,200}$/);
      // what an operator reads is never a generic error code
      expect(`${d.title} ${d.text}`).not.toMatch(/VALIDATION_FAILED|INTERNAL\b/);
    }
  });

  it("describes a build failure by its cause, and a kind without a known cause by the kind's text", () => {
    expect(describeAlert(AlertKind.buildFailed, { cause: 'gas_estimate_failed' })).toEqual({
      title: 'Withdrawal cannot be built: gas estimate fails',
      text: alertCauseCatalogue.gas_estimate_failed.text,
    });
    expect(describeAlert(AlertKind.sendRefused, { code: 'VALIDATION_FAILED' })).toEqual(alertCatalogue.send_refused);
    expect(describeAlert(AlertKind.sendRefused, null)).toEqual(alertCatalogue.send_refused);
    expect(describeAlert('from_a_newer_version', {})).toEqual({
      title: 'from_a_newer_version',
      text: 'An alarm of a kind this version does not know: see its details.',
    });
  });
});

describe('docs/withdrawals.md', () => {
  it("lists every kind and cause with the catalogue's title and text", () => {
    const doc = readFileSync(new URL('../../../docs/withdrawals.md', import.meta.url), 'utf8');
    const block = /<!-- alarms:begin -->\n([\s\S]*?)<!-- alarms:end -->/.exec(doc)?.[1] ?? '';
    const rows = block.split('\n');
    for (const [code, d] of [...Object.entries(alertCatalogue), ...Object.entries(alertCauseCatalogue)]) {
      const row = rows.find((r) => r.startsWith(`| \`${code}\` |`));
      expect(row, `docs/withdrawals.md has no row for ${code}`).toBeDefined();
      expect(row).toContain(`| ${d.title} |`);
      expect(row).toContain(`| ${d.text} |`);
    }
  });
});
