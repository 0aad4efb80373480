/**
 * The console's one stylesheet, served by signsrv at /console/console.css (no CDN, no build step: the console works
 * air-gapped). Lists are tables on a laptop and stacked cards on a phone: under 760 px each row becomes a card and each
 * cell shows its column's name (`data-label`) before its value. No inline styles anywhere: the CSP is `default-src
 * 'self'`.
 */
export const consoleCss = `
:root {
  --ink: #1c2430; --muted: #5b6675; --line: #d9dee5; --bg: #f5f7fa; --card: #fff;
  --accent: #1f5fbf; --ok: #1e7a3c; --warn: #a35a00; --block: #b3261e; --info: #4b5563;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  font-size: 15px; line-height: 1.45; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
.addr, .hash { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85em; word-break: break-all; }
header.top { background: #14213d; color: #fff; padding: 0.5rem 1rem; display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 1rem; }
header.top .brand { font-weight: 700; margin-right: 0.5rem; }
header.top nav { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; flex: 1; }
header.top nav a { color: #dbe6ff; text-decoration: none; padding: 0.25rem 0; }
header.top nav a.active { color: #fff; border-bottom: 2px solid #fff; }
header.top .who { display: flex; align-items: center; gap: 0.5rem; font-size: 0.9em; }
header.top .who form { margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #8da2c9; padding: 0.2rem 0.6rem; }
main { max-width: 1320px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0.25rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.banner { padding: 0.6rem 0.8rem; border-radius: 6px; margin: 0 0 1rem; border: 1px solid; }
.banner.ok { background: #e8f5ec; border-color: #a9d8b8; color: var(--ok); }
.banner.error { background: #fdecea; border-color: #f0b4ae; color: var(--block); }
.banner.warn { background: #fff4e0; border-color: #f1c98a; color: var(--warn); }
.banner.paused { background: var(--block); border-color: var(--block); color: #fff; border-radius: 0; margin: 0; text-align: center; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin-bottom: 1rem; }
.card h2 { margin-top: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table.list { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); }
table.list th, table.list td { text-align: left; vertical-align: top; padding: 0.5rem 0.6rem; border-bottom: 1px solid var(--line); }
table.list th { background: #eef1f5; font-size: 0.85em; color: var(--muted); font-weight: 600; }
table.list td.num, table.list th.num { text-align: right; white-space: nowrap; }
.sub { display: block; color: var(--muted); font-size: 0.85em; }
.badge { display: inline-block; padding: 0.05rem 0.45rem; margin: 0 0.2rem 0.2rem 0; border-radius: 999px; font-size: 0.8em; border: 1px solid; white-space: nowrap; }
.badge.block { color: #fff; background: var(--block); border-color: var(--block); }
.badge.warn { color: var(--warn); background: #fff4e0; border-color: #f1c98a; }
.badge.info { color: var(--info); background: #f0f2f5; border-color: var(--line); }
.badge.ok { color: var(--ok); background: #e8f5ec; border-color: #a9d8b8; }
.status { font-weight: 600; }
.status-confirmed { color: var(--ok); }
.status-rejected, .status-failed, .status-cancelled { color: var(--block); }
form.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 0.75rem; align-items: flex-end; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85em; color: var(--muted); }
form.filters input, form.filters select { min-width: 9rem; }
form.stack { display: flex; flex-direction: column; gap: 0.6rem; max-width: 36rem; }
form.stack label { display: flex; flex-direction: column; gap: 0.2rem; font-weight: 600; font-size: 0.9em; }
form.stack label.check { flex-direction: row; align-items: center; gap: 0.5rem; }
form.stack .hint { font-weight: 400; color: var(--muted); font-size: 0.85em; }
form.inline { display: inline-flex; flex-wrap: wrap; gap: 0.3rem; align-items: center; margin: 0 0.3rem 0.3rem 0; }
input, select, textarea, button { font: inherit; font-weight: 400; padding: 0.4rem 0.55rem; border: 1px solid #b8c0cc; border-radius: 5px; background: #fff; color: var(--ink); }
textarea { min-height: 4.5rem; resize: vertical; }
::placeholder { color: #98a1ad; }
button { cursor: pointer; background: #eef1f5; }
button.primary, button.danger { color: #fff; font-weight: 600; }
button.primary { background: var(--accent); border-color: var(--accent); }
button.danger { background: var(--block); border-color: var(--block); }
.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 1rem; }
.actions form.stack { max-width: none; }
.pager { margin: 1rem 0; display: flex; gap: 1rem; }
.muted { color: var(--muted); }
.secret { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 1.05em; background: #fffbe6; border: 1px dashed #d4b106; padding: 0.5rem; word-break: break-all; }
pre.details { white-space: pre-wrap; word-break: break-all; background: #f6f8fa; padding: 0.5rem; border-radius: 5px; margin: 0.3rem 0 0; font-size: 0.85em; }
.login { max-width: 24rem; margin: 3rem auto; }
.login h1 { text-align: center; }
.login button { width: 100%; }

/* A phone: every list row is a card; each cell names its column. */
@media (max-width: 760px) {
  main { padding: 0.6rem; }
  header.top { padding: 0.5rem 0.6rem; }
  table.list, table.list tbody, table.list tr, table.list td { display: block; width: 100%; }
  table.list { border: 0; background: transparent; }
  table.list thead { display: none; }
  table.list tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 0.75rem; padding: 0.25rem 0; }
  table.list td { border: 0; padding: 0.3rem 0.75rem; }
  table.list td.num { text-align: left; }
  table.list td[data-label]::before { content: attr(data-label); display: block; font-size: 0.75em; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); }
  form.filters input, form.filters select { min-width: 0; width: 100%; }
  form.filters label { flex: 1 1 45%; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dt { margin-top: 0.4rem; }
}
`;
