import { formatDuration } from '../../output.js';
import { type Html, type HtmlValue, html } from '../html.js';

/** What every page knows besides its own data. */
export interface PageContext {
  /** This run's token: the first segment of every URL, so the pages' relative links carry it. */
  readonly token: string;
  /** Which stack the console works on (`local stack 'gd-local' at ...`). */
  readonly stack: string;
}

/** The console's pages, in the order of the navigation. */
export const NAV = [
  { key: 'routes', href: 'routes', label: 'Routes' },
  { key: 'message', href: 'message', label: 'Message' },
  { key: 'dead-letters', href: 'dead-letters', label: 'Dead letters' },
  { key: 'actions', href: 'actions', label: 'Actions' },
] as const;

/** One of {@link NAV}'s pages. */
export type NavKey = (typeof NAV)[number]['key'];

/**
 * A whole page: the shell (navigation, stack, stylesheet and script from the console's own assets),
 * `title` and `body`. `<base>` makes every relative link resolve under the token, whatever the page.
 */
export function page(context: PageContext, title: string, active: NavKey | undefined, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="/${context.token}/">
<title>${title} · gd console</title>
<link rel="icon" href="assets/icon.svg">
<link rel="stylesheet" href="assets/console.css">
<script src="assets/console.js" defer></script>
</head>
<body>
<header>
<nav aria-label="pages"><strong>gd console</strong>${NAV.map(
    (item) =>
      html` <a href="${item.href}"${item.key === active ? html` aria-current="page"` : ''}>${item.label}</a>`,
  )}</nav>
<p class="stack">${context.stack}</p>
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A message box: `error` for what went wrong, `info` for what was done or what to know. */
export function notice(kind: 'error' | 'info', text: HtmlValue): Html {
  return html`<p class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}

/** `2026-11-30T12:00:00.000Z` → `2026-11-30 12:00:00Z (3m05s ago)`: readable, and how long ago. */
export function when(iso: string | undefined, now: Date = new Date()): Html {
  if (!iso) return html`-`;
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return html`${iso}`;
  const shown = iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const ago = (now.getTime() - at) / 1000;
  return html`<time datetime="${iso}">${shown}</time>${ago >= 0 ? html` <span class="ago">(${formatDuration(ago)} ago)</span>` : ''}`;
}

/** `<option>`s of a route choice; `all` adds "every route" first. */
export function routeOptions(
  routes: readonly string[],
  selected: string | undefined,
  all: string | undefined,
): Html {
  return html`${all === undefined ? '' : html`<option value="">${all}</option>`}${routes.map(
    (name) => html`<option value="${name}"${name === selected ? html` selected` : ''}>${name}</option>`,
  )}`;
}

/** A link back, for confirmation and result pages. */
export function backLink(href: string, label: string): Html {
  return html`<a class="button secondary" href="${href}">${label}</a>`;
}
