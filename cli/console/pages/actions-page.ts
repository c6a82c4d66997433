import { breakerPosition } from '../../commands/breaker-text.js';
import { type Html, html } from '../html.js';
import type { RoutesView } from '../route-rows.js';
import { backLink, type PageContext, page } from './layout.js';

/** What the actions page offers: pause or resume a route, drain the failover table. */
export type ConsoleAction = 'pause' | 'resume' | 'drain';

/** Whether `text` names an action. */
export const isConsoleAction = (text: string): text is ConsoleAction =>
  text === 'pause' || text === 'resume' || text === 'drain';

/** The actions page: each route with the switch that applies, and the drainer. */
export function actionsPage(context: PageContext, view: RoutesView): Html {
  const backlog = view.rows.reduce((sum, row) => sum + row.failoverBacklog, 0) + view.unroutableFailover;
  return page(
    context,
    'Actions',
    'actions',
    html`<h2>Deliveries</h2>
<p>Pausing stops a route's deliveries; ingest goes on and messages wait in the queue. A pause wins over the route's circuit breaker: only a resume ends it.</p>
<table class="grid">
<thead><tr><th scope="col">Route</th><th scope="col">Deliveries</th><th scope="col">Breaker</th><th scope="col" class="num">Queue</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${view.rows.map((row) => {
      const action: ConsoleAction = row.deliveries === 'PAUSED' ? 'resume' : 'pause';
      return html`<tr data-route="${row.name}">
<th scope="row">${row.name}</th>
<td class="${row.deliveries === 'running' ? 'ok' : 'warn'}">${row.deliveries}</td>
<td>${row.breaker ? breakerPosition(row.breaker).replace(/^breaker /, '') : '-'}</td>
<td class="num">${row.queueDepth}</td>
<td><a class="button" href="actions/confirm?action=${action}&route=${row.name}">${action === 'pause' ? 'Pause' : 'Resume'}…</a></td>
</tr>`;
    })}</tbody>
</table>
<h2>Failover table</h2>
<p>${backlog} message(s) wait in the failover table. The drainer moves them to their delivery queues on its schedule; drain now to move them at once.</p>
<p><a class="button" href="actions/confirm?action=drain">Drain now…</a></p>`,
  );
}

/** What each action does, for its confirmation. */
function consequence(action: ConsoleAction, route: string): string {
  switch (action) {
    case 'pause':
      return `Pause deliveries of route ${route}? Messages keep arriving and wait in its queue until it is resumed.`;
    case 'resume':
      return `Resume deliveries of route ${route}? If its circuit breaker is open, deliveries restart with the breaker's next successful probe.`;
    case 'drain':
      return 'Run the drainer now? It moves what waits in the failover table to the delivery queues.';
  }
}

/** "Pause route X?" with the button that does it and the way back. */
export function confirmActionPage(context: PageContext, action: ConsoleAction, route: string): Html {
  const label = { pause: `Pause ${route}`, resume: `Resume ${route}`, drain: 'Drain now' }[action];
  return page(
    context,
    `${label}?`,
    'actions',
    html`<form method="post" action="actions">
<input type="hidden" name="action" value="${action}">
<input type="hidden" name="route" value="${route}">
<p class="confirm">${consequence(action, route)}</p>
<p class="buttons"><button type="submit" autofocus>${label}</button> ${backLink('actions', 'Cancel')}</p>
</form>`,
  );
}
