import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, Html, html } from '../../cli/console/html.js';

describe('console HTML templates', () => {
  it('escapes every interpolated value, in text and in quoted attributes', () => {
    // Prepare
    const id = `"><script>alert(1)</script><a href='x'>&`;

    // Act
    const made = html`<td title="${id}">${id}</td>`;

    // Assess
    expect(made.text).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&amp;">' +
        '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;&amp;</td>',
    );
  });

  it('keeps markup made by the tag, joins lists and leaves out null, undefined and false', () => {
    // Act
    const made = html`<ul>${['a<b', 'c'].map((item) => html`<li>${item}</li>`)}</ul>${null}${undefined}${false}${0}`;

    // Assess
    expect(made).toBeInstanceOf(Html);
    expect(made.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
  });

  it('never lets a value open a tag or leave a quoted attribute, whatever it holds', () => {
    // Act / Assess
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const escaped = escapeHtml(value);
        expect(escaped).not.toMatch(/[<>"']/);
        // Every & starts an entity this function wrote.
        expect(escaped.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });
});
