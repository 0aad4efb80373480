import { describe, expect, it } from 'vitest';
import { SafeHtml, escapeHtml, html, trusted } from './html.js';

// Every interpolation of the console's pages goes through `html`: what a client, an address label, an alarm's details
// or a username carries must come out as text, never as markup.

const hostile = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '`onfocus=alert(1) autofocus`',
  '&lt;already escaped&gt;',
  '</textarea><script>x()</script>',
  'javascript:alert(1)',
];

describe('html', () => {
  it.each(hostile)('escapes %s in element content and attribute values', (text) => {
    // the single-quoted attribute is the point: prettier would rewrite it
    // prettier-ignore
    const out = html`<p title="${text}" data-x='${text}'>${text}</p>`.value;
    // the only tags and quotes are the template's own
    expect(out.match(/</g)).toHaveLength(2);
    expect(out.match(/"/g)).toHaveLength(2);
    expect(out.match(/'/g)).toHaveLength(2);
    expect(out).not.toContain('`');
    expect(out).toBe(`<p title="${escapeHtml(text)}" data-x='${escapeHtml(text)}'>${escapeHtml(text)}</p>`);
  });

  it('escapes the five HTML specials and the backtick, and & first (no double meaning)', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
    expect(escapeHtml('plain text, 0x5aAeb6 ü €')).toBe('plain text, 0x5aAeb6 ü €');
  });

  it('keeps nested templates and trusted markup, escapes the strings inside them', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(inner).toBeInstanceOf(SafeHtml);
    expect(html`<p>${inner}${trusted('<hr>')}</p>`.value).toBe('<p><b>&lt;i&gt;</b><hr></p>');
  });

  it('renders arrays item by item, numbers and bigints as text, and nothing for null, undefined and booleans', () => {
    const rows = ['<a>', html`<td>${'&'}</td>`, 7, 10n ** 20n, null, undefined, false, true, [['<nested>']]];
    expect(html`${rows}`.value).toBe('&lt;a&gt;<td>&amp;</td>7100000000000000000000&lt;nested&gt;');
    const shown = rows.length < 0;
    expect(html`<p>${shown && html`<x></x>`}</p>`.value).toBe('<p></p>');
  });

  it('a string that looks like a SafeHtml object is still text', () => {
    const fake = { value: '<script>' } as unknown as string;
    expect(html`${fake}`.value).toBe('[object Object]');
  });
});
