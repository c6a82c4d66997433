import {
  type DeadLetterFilter,
  parseStatusMatch,
  parseTimeBound,
  type StatusMatch,
} from '../../shared/dead-letter-filter.js';
import { type Html, html } from './html.js';

/**
 * The dead-letter filter of the console's forms, as typed: the same filters as `gd redrive` (route,
 * reason, status, since, until), parsed by the same functions, so `5xx` or `2h` mean the same here.
 */
export interface DeadLetterQuery {
  /** A route's name, or empty for every route. */
  readonly route: string;
  readonly reason: string;
  readonly status: string;
  readonly since: string;
  readonly until: string;
}

const FIELDS = ['route', 'reason', 'status', 'since', 'until'] as const;

/** The filter fields of a form or query string (missing ones empty). */
export function readDeadLetterQuery(params: URLSearchParams): DeadLetterQuery {
  const read = (name: (typeof FIELDS)[number]) => (params.get(name) ?? '').trim();
  return {
    route: read('route'),
    reason: read('reason'),
    status: read('status'),
    since: read('since'),
    until: read('until'),
  };
}

/** The filter the query asks for, or what is wrong with it (in `gd redrive`'s words). */
export function filterOf(query: DeadLetterQuery): { filter: DeadLetterFilter } | { error: string } {
  try {
    const status: StatusMatch | undefined = query.status ? parseStatusMatch(query.status) : undefined;
    const since = query.since ? parseTimeBound(query.since) : undefined;
    const until = query.until ? parseTimeBound(query.until) : undefined;
    return {
      filter: {
        ...(query.reason ? { reason: query.reason } : {}),
        ...(status ? { status } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
      },
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The query in words, for a confirmation: `reason contains "timeout", status 5xx`. */
export function describeQuery(query: DeadLetterQuery): string {
  const parts = [
    query.reason ? `reason contains "${query.reason}"` : '',
    query.status ? `last status ${query.status}` : '',
    query.since ? `dead-lettered since ${query.since}` : '',
    query.until ? `dead-lettered before ${query.until}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'no filter';
}

/** The query as hidden form fields, so a confirmation posts exactly what was shown. */
export function hiddenQuery(query: DeadLetterQuery): Html {
  return html`${FIELDS.map((name) => html`<input type="hidden" name="${name}" value="${query[name]}">`)}`;
}

/** The query string of a dead-letters page link (`route=catering&status=5xx`). */
export function queryString(query: DeadLetterQuery): string {
  const params = new URLSearchParams();
  for (const name of FIELDS) if (query[name]) params.set(name, query[name]);
  return params.toString();
}

/** A picked dead letter travels as `<route> <id>`: route names hold no space, ids may. */
export const pickValue = (route: string, id: string) => `${route} ${id}`;

/** The picked dead letters by route. */
export function readPicks(params: URLSearchParams): Map<string, string[]> {
  const byRoute = new Map<string, string[]>();
  for (const value of params.getAll('pick')) {
    const space = value.indexOf(' ');
    if (space <= 0 || space === value.length - 1) continue;
    const route = value.slice(0, space);
    byRoute.set(route, [...(byRoute.get(route) ?? []), value.slice(space + 1)]);
  }
  return byRoute;
}
