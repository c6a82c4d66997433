import { z } from 'zod';
import {
  DELIVERY_FIELDS,
  deliveryOptionsSchema,
  ROUTE_INTAKE_FIELDS,
  type RouteConfig,
  routeIntakeSchema,
  routeSchema,
} from './route-schema.js';

/**
 * A route as a function receives it: one JSON document, its intake (name, path, body rules,
 * ordering) beside its delivery options as a sub-object, the unit a forwarder serves. It is checked
 * at cold start by the routes file's own schema (the same fields, defaults, limits and messages),
 * so a function cannot read a setting differently from the file that set it.
 */
export const routeDocumentSchema = routeIntakeSchema
  .extend({ delivery: deliveryOptionsSchema })
  .transform(({ delivery, ...intake }, context): RouteConfig => {
    // The rules that span both halves (ordering with breaker, a schedule's attempts) are the route's.
    const route = routeSchema.safeParse({ ...intake, ...delivery });
    if (route.success) return route.data;
    for (const issue of route.error.issues) {
      const [field, ...rest] = issue.path;
      const path = (DELIVERY_FIELDS as readonly PropertyKey[]).includes(field ?? '')
        ? ['delivery', ...issue.path]
        : [field ?? '', ...rest];
      context.addIssue({ code: 'custom', message: issue.message, path: path as (string | number)[] });
    }
    return z.NEVER;
  });

/** A route document as written (the stack's JSON, the local runner's object). */
export type RouteDocument = z.input<typeof routeDocumentSchema>;

/** The route table of the functions that serve every route (ingest, drainer, archiver): intakes only. */
export const routeTableSchema = z.strictObject({ routes: z.array(routeIntakeSchema).min(1) });

/** A route table as written. */
export type RouteTable = z.input<typeof routeTableSchema>;

/** One route of a route table, as read. */
export type RouteIntake = z.output<typeof routeIntakeSchema>;

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(
    keys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]]),
  ) as Pick<T, K>;
}

/** The document of a validated route: its intake, and its delivery options under `delivery`. */
export function toRouteDocument(route: RouteConfig): RouteDocument {
  return { ...pick(route, ROUTE_INTAKE_FIELDS), delivery: pick(route, DELIVERY_FIELDS) };
}

/** The intake of a validated route, as its route table lists it. */
export function toRouteIntake(route: RouteConfig): RouteIntake {
  return pick(route, ROUTE_INTAKE_FIELDS);
}

/** The route table of a deployment's routes (the generated file's content, or the runner's object). */
export function routeTableOf(routes: readonly RouteConfig[]): RouteTable {
  return { routes: routes.map(toRouteIntake) };
}
