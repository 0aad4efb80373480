/**
 * HTML that is safe to send as it is: built only by {@link html} (which escapes every interpolation) or, for markup
 * this code writes itself, {@link trusted}. A page is one of these; nothing else reaches a response body.
 */
export class SafeHtml {
  /** @internal use {@link html} or {@link trusted} */
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** What an interpolation may be: text (escaped), numbers, markup already safe, lists of those; nothing renders as empty. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Escapes text for HTML element content and for quoted attribute values (both quote kinds; the backtick for old
 * browsers' unquoted-attribute parsing). Attribute values in templates are always quoted.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  // false, null and undefined render nothing, so `${cond && html`...`}` works; true is not text either.
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  return escapeHtml(String(value));
}

/**
 * The console's only way to build markup: the template's literal parts are kept, every interpolation is escaped
 * unless it is already {@link SafeHtml} (a nested `html` template), arrays are rendered item by item.
 * @example html`<td>${user.username}</td>` // a username of `<b>` is shown, not parsed
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/**
 * Markup written by this code (never from input) kept as it is: the stylesheet, fixed fragments.
 * @param markup a constant of the source code
 */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
