import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type MetricDef, catalogSeriesNames, metricCatalog } from './metricCatalog.js';

// deploy/monitoring's dashboard and alert rules, and docs/metrics.md, against the catalogue of the metrics the
// services export: a misspelt or removed metric name fails here rather than as an empty panel or a silent alert.
// (test/integration/metrics.test.ts checks that a real cluster exports every catalogue name.)

const repo = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repo), 'utf8');
const known = catalogSeriesNames();

/** The wallet_* metric names an expression uses. */
const metricNames = (expr: string): string[] => [...expr.matchAll(/\bwallet_[a-z0-9_]+/g)].map((m) => m[0]);

/** Brackets balance, in order: a truncated or mistyped expression fails. */
function balanced(expr: string): boolean {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const ch of expr.replace(/"[^"]*"/g, '""')) {
    if ('([{'.includes(ch)) open.push(ch);
    else if (ch in pairs && open.pop() !== pairs[ch]) return false;
  }
  return open.length === 0;
}

type Rule = {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: { severity?: unknown };
  annotations?: { summary?: unknown; description?: unknown };
};

describe('deploy/monitoring/alert-rules.yml', () => {
  const doc = parse(read('deploy/monitoring/alert-rules.yml')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);

  it('is a Prometheus rule file whose every rule has a name, an expression, a duration, a severity and texts', () => {
    expect(doc.groups.length).toBeGreaterThan(0);
    for (const g of doc.groups) expect(g.name).toMatch(/^[a-z-]+$/);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^Wallet[A-Z][A-Za-z0-9]+$/);
      expect(typeof r.expr).toBe('string');
      expect(balanced(String(r.expr)), String(r.alert)).toBe(true);
      expect(r.for, String(r.alert)).toMatch(/^[0-9]+[smh]$/);
      expect(['warning', 'critical']).toContain(r.labels?.severity);
      expect(typeof r.annotations?.summary).toBe('string');
      expect(typeof r.annotations?.description).toBe('string');
    }
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it('uses only metrics the services export', () => {
    for (const r of rules) {
      const names = metricNames(String(r.expr));
      expect(names.length, String(r.alert)).toBeGreaterThan(0);
      for (const name of names) expect(known, `${String(r.alert)} uses ${name}`).toContain(name);
    }
  });

  it('covers what operators must hear of', () => {
    const used = new Set(rules.flatMap((r) => metricNames(String(r.expr))));
    for (const name of [
      'wallet_scanner_lag_blocks',
      'wallet_scanner_stalled',
      'wallet_grpc_server_handled_total',
      'wallet_http_requests_total',
      'wallet_http_request_duration_seconds_bucket',
      'wallet_outbox_due_rows',
      'wallet_stream_pending_entries',
      'wallet_withdrawal_oldest_in_status_seconds',
      'wallet_signing_halted',
      'wallet_signing_paused',
      'wallet_alarms_open',
    ])
      expect(used).toContain(name);
  });
});

describe('deploy/monitoring/wallet-dashboard.json', () => {
  type Panel = { id: number; type: string; title: string; targets?: { refId: string; expr: string }[] };
  const dashboard = JSON.parse(read('deploy/monitoring/wallet-dashboard.json')) as { uid: string; title: string; panels: Panel[] };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');

  it('is a Grafana dashboard whose panels each query Prometheus', () => {
    expect(dashboard.uid).toMatch(/^[a-z-]+$/);
    expect(panels.length).toBeGreaterThan(10);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of panels) {
      expect(p.title.length).toBeGreaterThan(0);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.refId).toMatch(/^[A-Z]$/);
        expect(balanced(t.expr), `${p.title}: ${t.expr}`).toBe(true);
      }
    }
  });

  it('uses only metrics the services export', () => {
    for (const p of panels)
      for (const t of p.targets ?? []) {
        const names = metricNames(t.expr);
        expect(names.length, p.title).toBeGreaterThan(0);
        for (const name of names) expect(known, `${p.title} uses ${name}`).toContain(name);
      }
  });
});

describe('docs/metrics.md', () => {
  const doc = read('docs/metrics.md');
  it('documents every metric with its labels', () => {
    for (const def of Object.values(metricCatalog) as MetricDef[]) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${def.name}\``));
      expect(row, def.name).toBeDefined();
      for (const label of def.labelNames) expect(row, `${def.name} label ${label}`).toContain(`\`${label}\``);
    }
  });
});
