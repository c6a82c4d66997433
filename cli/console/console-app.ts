import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { isNarrowing } from '../../shared/dead-letter-filter.js';
import { describeError, GuaranteedDeliveryError } from '../../shared/errors.js';
import { describeDrain } from '../commands/drain.js';
import { lookUpMessage } from '../commands/message.js';
import { describePause, switchDeliveries } from '../commands/pause.js';
import {
  DRY_RUN_SCAN_LIMIT,
  describeRedrive,
  findDeadLetters,
  type RouteRedrive,
  redriveIncomplete,
  redriveRoutes,
} from '../commands/redrive.js';
import { UsageError } from '../errors.js';
import { findRoute, type StackTarget, selectRoutes } from '../stack/stack-target.js';
import { filterOf, queryString, readDeadLetterQuery, readPicks } from './dead-letter-form.js';
import { type Html, html } from './html.js';
import type { JobBoard, JobOutcome, JobProgress } from './jobs.js';
import { actionsPage, confirmActionPage, isConsoleAction } from './pages/actions-page.js';
import { confirmRedrivePage, deadLettersPage } from './pages/dead-letters-page.js';
import { jobLive, jobPage } from './pages/job-page.js';
import { backLink, notice, type PageContext, page } from './pages/layout.js';
import { messagePage } from './pages/message-page.js';
import { routesLive, routesPage } from './pages/routes-page.js';
import { type RoutesView, readRoutes } from './route-rows.js';

/**
 * The console's pages and actions over one stack: each request becomes a call of gd's own functions
 * (`collectStatus`, `lookUpMessage`, `findDeadLetters`, `redriveRoutes`, `switchDeliveries`, the
 * stack's `drain`), rendered as HTML. Transport and the request guard are console-server.ts's.
 */

/** A request that passed the guard: the path after the token, its query and (POST) its form. */
export interface ConsoleRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly path: string;
  readonly query: URLSearchParams;
  readonly form: URLSearchParams;
}

/** What to answer: a page or fragment, or a redirect after an action (POST, then GET). */
export type ConsoleReply =
  | { readonly status: number; readonly html: Html }
  | { readonly status: 303; readonly location: string };

/** What the console serves. */
export interface ConsoleAppOptions {
  readonly stack: StackTarget;
  readonly context: PageContext;
  readonly jobs: JobBoard;
  /** How often the routes page refreshes itself. */
  readonly refreshSeconds: number;
}

/** Dead letters the dead-letters page looks through per route (a confirmation counts all). */
const LIST_SCAN_LIMIT = 1_000;
/** How often a job's page asks how far it is. */
const JOB_REFRESH_MS = 700;

/** The page for a failed request: gd's own message for its errors. */
function errorReply(context: PageContext, error: unknown): ConsoleReply {
  return {
    status: error instanceof UsageError ? 400 : 500,
    html: page(context, 'That did not work', undefined, notice('error', errorText(error))),
  };
}

/** Reads the routes at most once per second, however many pages ask (a page refreshes itself). */
function sharedRoutes(stack: StackTarget): () => Promise<RoutesView> {
  let last: { at: number; view: Promise<RoutesView> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > 1000) {
      const view = readRoutes(stack);
      last = { at: Date.now(), view };
      view.catch(() => {
        last = undefined;
      });
    }
    return last.view;
  };
}

/** The console's request handler. */
export function consoleApp(options: ConsoleAppOptions): (request: ConsoleRequest) => Promise<ConsoleReply> {
  const { stack, context, jobs } = options;
  const routes = sharedRoutes(stack);
  const routeNames = stack.routes.map((route) => route.name);
  const ok = (view: Html): ConsoleReply => ({ status: 200, html: view });

  /** Starts a job unless one runs already, and sends the browser to its page. */
  const startJob = (
    title: string,
    links: { href: string; label: string }[],
    work: (report: (progress: JobProgress) => void) => Promise<JobOutcome>,
  ): ConsoleReply => {
    const busy = jobs.running();
    if (busy) return { status: 303, location: `job?id=${busy.id}` };
    return { status: 303, location: `job?id=${jobs.start(title, links, work).id}` };
  };

  const redriveOutcome = (results: readonly RouteRedrive[]): JobOutcome => {
    const incomplete = results.some(redriveIncomplete);
    return {
      ok: !incomplete,
      lines: [
        ...results.map(describeRedrive),
        ...(incomplete ? ['Some dead letters stayed in the DLQ; redrive them again.'] : []),
      ],
    };
  };

  /** How many dead letters a redrive of the request would move, and of which. */
  const redriveScope = async (params: URLSearchParams) => {
    const query = readDeadLetterQuery(params);
    const scope = params.get('scope') === 'picked' ? ('picked' as const) : ('matching' as const);
    const parsed = filterOf(query);
    if ('error' in parsed) throw new UsageError(parsed.error);
    const picks = readPicks(params);
    for (const route of picks.keys()) findRoute(stack, route);
    let count: number;
    if (scope === 'picked') {
      count = [...picks.values()].reduce((sum, ids) => sum + ids.length, 0);
    } else if (isNarrowing(parsed.filter)) {
      const found = await findDeadLetters(stack, {
        route: query.route || undefined,
        filter: parsed.filter,
        scanLimit: DRY_RUN_SCAN_LIMIT,
      });
      count = found.reduce((sum, route) => sum + route.matching.length, 0);
    } else {
      const depths = await Promise.all(
        selectRoutes(stack, query.route || undefined).map((route) => queueCounts(stack.sqs, route.dlqUrl)),
      );
      count = depths.reduce((sum, depth) => sum + depth.visible + depth.inFlight, 0);
    }
    return { query, scope, filter: parsed.filter, picks, count };
  };

  const get = async (path: string, query: URLSearchParams): Promise<ConsoleReply | undefined> => {
    switch (path) {
      case '':
      case 'routes':
        return ok(routesPage(context, await routes(), options.refreshSeconds));
      case 'routes/live':
        return ok(routesLive(await routes()));
      case 'message': {
        const id = (query.get('id') ?? '').trim();
        const route = (query.get('route') ?? '').trim();
        if (!id) return ok(messagePage(context, routeNames, { id, route }));
        const result = await lookUpMessage(stack, { id, ...(route ? { route } : {}) }).then(
          (records) => ({ records }),
          (error: unknown) => ({ error: errorText(error) }),
        );
        return ok(messagePage(context, routeNames, { id, route, result }));
      }
      case 'dead-letters': {
        const deadLetterQuery = readDeadLetterQuery(query);
        const parsed = filterOf(deadLetterQuery);
        const result =
          'error' in parsed
            ? parsed
            : {
                routes: await findDeadLetters(stack, {
                  route: deadLetterQuery.route || undefined,
                  filter: parsed.filter,
                  scanLimit: LIST_SCAN_LIMIT,
                }),
              };
        return ok(deadLettersPage(context, routeNames, { query: deadLetterQuery, result }));
      }
      case 'redrive/confirm': {
        const scope = await redriveScope(query);
        return ok(confirmRedrivePage(context, { ...scope, picks: query.getAll('pick') }));
      }
      case 'actions':
        return ok(actionsPage(context, await routes()));
      case 'actions/confirm': {
        const action = query.get('action') ?? '';
        if (!isConsoleAction(action)) throw new UsageError(`no such action '${action}'`);
        const route = action === 'drain' ? '' : findRoute(stack, query.get('route') ?? '').name;
        return ok(confirmActionPage(context, action, route));
      }
      case 'job':
      case 'job/live': {
        const job = jobs.get(query.get('id') ?? '');
        if (!job)
          throw new UsageError('no such job (the console keeps the last 50, and none across restarts)');
        return ok(path === 'job' ? jobPage(context, job, JOB_REFRESH_MS) : jobLive(job));
      }
      default:
        return undefined;
    }
  };

  const post = async (path: string, form: URLSearchParams): Promise<ConsoleReply | undefined> => {
    switch (path) {
      case 'redrive': {
        const { query, scope, filter, picks, count } = await redriveScope(form);
        const back = { href: `dead-letters?${queryString(query)}`, label: 'Dead letters' };
        const [onlyRoute, onlyIds] = [...picks.entries()][0] ?? [];
        const onlyId = picks.size === 1 && onlyIds?.length === 1 ? onlyIds[0] : undefined;
        const links = [
          back,
          ...(onlyId && onlyRoute
            ? [{ href: `message?id=${encodeURIComponent(onlyId)}&route=${onlyRoute}`, label: 'The message' }]
            : []),
          { href: 'routes', label: 'Routes' },
        ];
        return startJob(`Redrive ${count} dead letter(s)`, links, async (report) => {
          const onRouteStart =
            (route: string, counting: string) => (progress: { done: number; total?: number }) =>
              report({ label: `${counting} (${route})`, ...progress });
          if (scope === 'matching') {
            return redriveOutcome(
              await redriveRoutes(stack, { route: query.route || undefined, filter, onRouteStart }),
            );
          }
          const results: RouteRedrive[] = [];
          for (const [route, ids] of picks) {
            results.push(...(await redriveRoutes(stack, { route, filter: { ids }, onRouteStart })));
          }
          return redriveOutcome(results);
        });
      }
      case 'actions': {
        const action = form.get('action') ?? '';
        if (!isConsoleAction(action)) throw new UsageError(`no such action '${action}'`);
        const links = [
          { href: 'actions', label: 'Actions' },
          { href: 'routes', label: 'Routes' },
        ];
        if (action === 'drain') {
          return startJob('Drain the failover table', links, async () => describeDrain(await stack.drain()));
        }
        const route = findRoute(stack, form.get('route') ?? '').name;
        const pause = action === 'pause';
        return startJob(`${pause ? 'Pause' : 'Resume'} ${route}`, links, async () => ({
          ok: true,
          lines: describePause(await switchDeliveries(stack, route, pause), pause),
        }));
      }
      default:
        return undefined;
    }
  };

  return async (request) => {
    try {
      const reply =
        request.method === 'POST'
          ? await post(request.path, request.form)
          : await get(request.path, request.query);
      return (
        reply ?? {
          status: 404,
          html: page(
            context,
            'No such page',
            undefined,
            html`${notice('error', 'The console has no such page.')}<p>${backLink('routes', 'Routes')}</p>`,
          ),
        }
      );
    } catch (error) {
      return errorReply(context, error);
    }
  };
}

/** gd's message for its own errors; anything else with its name. */
function errorText(error: unknown): string {
  return error instanceof GuaranteedDeliveryError ? error.message : describeError(error);
}
