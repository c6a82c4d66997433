import { breakerPosition } from '../../commands/breaker-text.js';
import { formatDuration } from '../../output.js';
import { type Html, html } from '../html.js';
import type { DeliveryRow, RoutesView } from '../route-rows.js';
import { notice, type PageContext, page } from './layout.js';

/**
 * The routes page: `gd status` of every route as a table that refreshes itself (the `[data-live]`
 * element is fetched again every few seconds by assets/console.js; without script, reload the page).
 * A route's destinations, once routes fan out, are rows under it.
 */

function cells(row: DeliveryRow, name: Html): Html {
  const age = formatDuration(row.oldestAgeSeconds ?? undefined);
  return html`<th scope="row">${name}</th>
<td class="${row.deliveries === 'running' ? 'ok' : 'warn'}">${row.deliveries}</td>
<td class="num">${row.queueDepth}</td>
<td class="num">${row.inFlight}</td>
<td class="num">${age}</td>
<td class="num${row.dlqDepth > 0 ? ' warn' : ''}">${row.dlqDepth}</td>
<td class="num${row.failoverBacklog > 0 ? ' warn' : ''}">${row.failoverBacklog}</td>
<td>${row.breaker ? breakerPosition(row.breaker).replace(/^breaker /, '') : '-'}</td>
<td class="num">${row.delivered}</td>
<td class="num${row.deadLettered > 0 ? ' warn' : ''}">${row.deadLettered}</td>`;
}

/** How the columns were measured, under the table. */
function notes(view: RoutesView): Html {
  const age =
    view.ageMethod === 'cloudwatch'
      ? "Oldest: CloudWatch's ApproximateAgeOfOldestMessage, latest minute reported."
      : 'Oldest: not measured locally (gd status --peek measures it, but a peek counts as a delivery attempt).';
  const hours = view.outcomes.windowSeconds / 3600;
  const outcomes =
    view.outcomes.method === 'cloudwatch'
      ? `Delivered / failed ${hours} h: the forwarders' Delivered and DeadLettered metrics in CloudWatch (a minute or more behind).`
      : `Delivered / failed ${hours} h: status records delivered or dead-lettered in the last ${hours} h, read from the message table${view.outcomes.partial ? ' (too many to read them all: lower bounds)' : ''}.`;
  return html`<p class="note">${age} ${outcomes} Failed = dead-lettered.</p>${
    view.unroutableFailover > 0
      ? notice(
          'info',
          `${view.unroutableFailover} failover item(s) belong to routes this stack does not have; the drainer leaves them in the table.`,
        )
      : ''
  }`;
}

/** The part of the page that refreshes: the table, its notes and when it was read. */
export function routesLive(view: RoutesView): Html {
  return html`<table class="grid">
<caption>Read at <time datetime="${view.readAt.toISOString()}">${view.readAt.toISOString().slice(11, 19)}Z</time></caption>
<thead><tr><th scope="col">Route</th><th scope="col">Deliveries</th><th scope="col" class="num">Queue</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Oldest</th><th scope="col" class="num">DLQ</th><th scope="col" class="num">Failover</th><th scope="col">Breaker</th><th scope="col" class="num">Delivered ${view.outcomes.windowSeconds / 3600} h</th><th scope="col" class="num">Failed ${view.outcomes.windowSeconds / 3600} h</th></tr></thead>
<tbody>${view.rows.map(
    (route) =>
      html`<tr class="route" data-route="${route.name}">${cells(route, html`${route.name}`)}</tr>${route.destinations.map(
        (destination) =>
          html`<tr class="destination" data-route="${route.name}" data-destination="${destination.name}">${cells(
            destination,
            html`<span aria-hidden="true">↳ </span>${destination.name}`,
          )}</tr>`,
      )}`,
  )}</tbody>
</table>
${notes(view)}`;
}

/** The routes page; its table refreshes every `refreshSeconds`. */
export function routesPage(context: PageContext, view: RoutesView, refreshSeconds: number): Html {
  return page(
    context,
    'Routes',
    'routes',
    html`<p>Every route of the stack, refreshed every ${refreshSeconds} s. Dead letters: <a href="dead-letters">list and redrive</a>; pause, resume, drain: <a href="actions">actions</a>.</p>
<div id="routes-live" data-live="routes/live" data-every="${refreshSeconds * 1000}" aria-live="polite">${routesLive(view)}</div>
<p class="live-status" data-live-status="routes-live"></p>`,
  );
}
