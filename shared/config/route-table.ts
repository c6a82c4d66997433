import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { parseConfigDocument } from './function-config.js';
import { type RouteIntake, routeTableSchema } from './route-document.js';

/**
 * The route table of the functions that serve every route (ingest, drainer, archiver): the routes'
 * intakes, generated at synth into the functions' asset (infra/constructs/route-table.ts), handed
 * in-process by the local runner. It lives in the asset rather than the environment, which must not
 * grow with the number of routes.
 */

/** File name of the route table in a function's asset. */
export const ROUTE_TABLE_FILE = 'route-table.json';

/** Checks a route table with the route schema's own intake fields; a malformed one fails the cold start. */
export function readRouteTable(table: unknown, what: string): readonly RouteIntake[] {
  return parseConfigDocument(routeTableSchema, table, what).routes;
}

/** The route table file beside the bundle (the stack copies it into the asset). */
export function routeTableFromAsset(): unknown {
  const path = resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), ROUTE_TABLE_FILE);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(
      `the route table ${path} cannot be read as JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
