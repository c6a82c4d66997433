/**
 * HTML from template literals, escaped by construction: every value put into an {@link html}
 * template is escaped, unless it is itself {@link Html} made by this tag. Message ids, reasons,
 * backend answers and every other value that came from a message can therefore only ever be text.
 */

/** Markup made by {@link html}: safe to put into another template as it is. */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** What a template takes: text and numbers (escaped), markup, lists of these; nothing for null, undefined or false. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML text or as a quoted attribute value: `& < > " '` become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * The template tag: `html\`<td>${reason}</td>\`` escapes `reason`. Attribute values must be quoted in
 * the template (`value="${id}"`), so an escaped value cannot end the attribute.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(text);
}
