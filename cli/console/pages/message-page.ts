import type { MessageRecord } from '../../../shared/message-record.js';
import { acceptedInto, timelineEvents } from '../../commands/message.js';
import { type Html, html } from '../html.js';
import { notice, type PageContext, page, routeOptions, when } from './layout.js';

/** What the message page was asked and found. */
export interface MessageLookup {
  readonly id: string;
  /** The route asked for; empty for every route. */
  readonly route: string;
  /** The records found (one per route that accepted the id), or why none could be shown. */
  readonly result?: { readonly records: readonly MessageRecord[] } | { readonly error: string };
}

/** One record as `gd message` tells it: accepted, each event of its timeline, the next attempt. */
function recordSection(record: MessageRecord, now: Date): Html {
  return html`<section class="record" data-route="${record.route}">
<h2>Route ${record.route}: <span class="state state-${record.state}">${record.state}</span></h2>
<p>Message id <code>${record.messageId}</code>. <a href="dead-letters?route=${record.route}">Dead letters of ${record.route}</a></p>
<table class="grid timeline">
<thead><tr><th scope="col">When</th><th scope="col">What</th></tr></thead>
<tbody>
<tr><td>${when(record.acceptedAt, now)}</td><td>${acceptedInto(record)}</td></tr>
${timelineEvents(record).map((event) => html`<tr><td>${when(event.at, now)}</td><td>${event.text}</td></tr>`)}
</tbody>
</table>
${record.state === 'retrying' && record.nextAttemptAt ? html`<p>Next attempt ${when(record.nextAttemptAt, now)}.</p>` : ''}
</section>`;
}

/** The message page: a lookup form, then each route's record of the id as a timeline. */
export function messagePage(
  context: PageContext,
  routes: readonly string[],
  lookup: MessageLookup,
  now: Date = new Date(),
): Html {
  const { result } = lookup;
  return page(
    context,
    'Message',
    'message',
    html`<form method="get" action="message" class="inline">
<label>Message id <input name="id" value="${lookup.id}" required size="40" autocomplete="off"></label>
<label>Route <select name="route">${routeOptions(routes, lookup.route, 'every route')}</select></label>
<button type="submit">Look up</button>
</form>
<p class="note">The id is the client's Idempotency-Key, or the messageId a 202 answered. Ids are per route.</p>
${
  result === undefined
    ? ''
    : 'error' in result
      ? notice('error', result.error)
      : result.records.map((record) => recordSection(record, now))
}`,
  );
}
