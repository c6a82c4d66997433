import type { MatchingDeadLetters } from '../../commands/redrive.js';
import {
  type DeadLetterQuery,
  describeQuery,
  hiddenQuery,
  pickValue,
  queryString,
} from '../dead-letter-form.js';
import { type Html, html } from '../html.js';
import { backLink, notice, type PageContext, page, routeOptions, when } from './layout.js';

/** Dead letters listed on one page at most; a redrive of "all matching" still moves every one. */
export const LISTED_AT_MOST = 200;

/** What the dead-letters page was asked and found. */
export interface DeadLettersView {
  readonly query: DeadLetterQuery;
  readonly result: { readonly routes: readonly MatchingDeadLetters[] } | { readonly error: string };
}

function filterForm(routes: readonly string[], query: DeadLetterQuery): Html {
  return html`<form method="get" action="dead-letters" class="inline filters">
<label>Route <select name="route">${routeOptions(routes, query.route, 'every route')}</select></label>
<label>Reason contains <input name="reason" value="${query.reason}" size="16"></label>
<label>Last status <input name="status" value="${query.status}" size="5" placeholder="503, 5xx"></label>
<label>Since <input name="since" value="${query.since}" size="12" placeholder="2h, ISO 8601"></label>
<label>Until <input name="until" value="${query.until}" size="12" placeholder="30m, ISO 8601"></label>
<button type="submit">Filter</button>
</form>`;
}

function listing(found: readonly MatchingDeadLetters[], query: DeadLetterQuery, now: Date): Html {
  const letters = found.flatMap((route) => route.matching);
  const looked = found.reduce((sum, route) => sum + route.looked, 0);
  if (letters.length === 0) {
    return notice('info', `No dead letters match (${describeQuery(query)}; ${looked} looked at).`);
  }
  const shown = letters.slice(0, LISTED_AT_MOST);
  return html`<form method="get" action="redrive/confirm">
${hiddenQuery(query)}
<p>${letters.length} of ${looked} dead letter(s) match (${describeQuery(query)})${
    letters.length > shown.length ? `; the first ${shown.length} are listed` : ''
  }.</p>
<table class="grid">
<thead><tr><th scope="col"><span class="visually-hidden">Pick</span></th><th scope="col">Route</th><th scope="col">Message id</th><th scope="col" class="num">Attempts</th><th scope="col" class="num">Last status</th><th scope="col">Dead-lettered</th><th scope="col">Reason</th></tr></thead>
<tbody>${shown.map(
    (letter) => html`<tr data-id="${letter.id}">
<td><input type="checkbox" name="pick" value="${pickValue(letter.route, letter.id)}" aria-label="pick ${letter.id}"></td>
<td>${letter.route}</td>
<td><a href="message?id=${encodeURIComponent(letter.id)}&route=${letter.route}"><code>${letter.id}</code></a></td>
<td class="num">${letter.attempts ?? '-'}</td>
<td class="num">${letter.lastStatus ?? '-'}</td>
<td>${when(letter.deadLetteredAt, now)}</td>
<td>${letter.reason ?? '-'}</td>
</tr>`,
  )}</tbody>
</table>
<p class="buttons">
<button type="submit" name="scope" value="picked">Redrive selected…</button>
<button type="submit" name="scope" value="matching">Redrive all ${letters.length} matching…</button>
</p>
</form>
<p class="note">Listing peeks without consuming: each dead letter looked at was received once (its receive count went up) and made visible again.</p>`;
}

/** The dead-letters page: the filter, then the matching dead letters to pick and redrive. */
export function deadLettersPage(
  context: PageContext,
  routes: readonly string[],
  view: DeadLettersView,
  now: Date = new Date(),
): Html {
  return page(
    context,
    'Dead letters',
    'dead-letters',
    html`${filterForm(routes, view.query)}
${'error' in view.result ? notice('error', view.result.error) : listing(view.result.routes, view.query, now)}`,
  );
}

/** What a redrive confirmation shows and posts. */
export interface RedriveConfirmation {
  readonly query: DeadLetterQuery;
  /** `picked`: the listed ids; `matching`: every dead letter the filter matches. */
  readonly scope: 'picked' | 'matching';
  /** How many dead letters would move. */
  readonly count: number;
  /** The picked dead letters, as posted back (`<route> <id>`). */
  readonly picks: readonly string[];
}

/** "Redrive N dead letters?" with the button that does it and the way back. */
export function confirmRedrivePage(context: PageContext, confirmation: RedriveConfirmation): Html {
  const { query, scope, count, picks } = confirmation;
  const where = query.route ? `route ${query.route}` : 'every route';
  const what =
    scope === 'picked'
      ? `the ${count} selected dead letter(s)`
      : `${count} dead letter(s) of ${where} (${describeQuery(query)}; dead letters arriving meanwhile that match move too)`;
  return page(
    context,
    'Redrive dead letters?',
    'dead-letters',
    count === 0
      ? html`${notice('info', scope === 'picked' ? 'Nothing was selected.' : 'No dead letters match.')}
<p>${backLink(`dead-letters?${queryString(query)}`, 'Back to the dead letters')}</p>`
      : html`<form method="post" action="redrive">
${hiddenQuery(query)}
<input type="hidden" name="scope" value="${scope}">
${picks.map((pick) => html`<input type="hidden" name="pick" value="${pick}">`)}
<p class="confirm">Redrive ${what} back to their delivery queue? Each keeps its id, so a message delivered meanwhile is not delivered again; the forwarder tries the others again, up to the route's max attempts.</p>
<p class="buttons"><button type="submit" autofocus>Redrive ${count} dead letter(s)</button>
${backLink(`dead-letters?${queryString(query)}`, 'Cancel')}</p>
</form>`,
  );
}
