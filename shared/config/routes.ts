import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { ConfigurationError, describeError } from '../errors.js';
import { compileBodySchema, isBuiltInBodySchema } from '../schemas/body-schemas.js';
import { MESSAGE_TABLE } from '../tables.js';
import { type ConfigProblem, configProblems, formatPath, formatValue, valueAt } from './config-issues.js';
import { DEFAULT_ROUTE } from './default-route.js';
import { type DeliveryFile, deliveryFileSchema, MIN_RECORD_RETENTION_DAYS } from './delivery-file-schema.js';
import { type Env, USER_ENV } from './env-names.js';
import { DEFAULT_FRONT_DOOR, DEFAULT_TABLE_BILLING } from './front-door.js';
import { parseDecimal } from './numbers.js';
import { DEFAULT_API_KEY_REQUIRED, DEFAULT_DRAIN_INTERVAL_SECONDS } from './route-defaults.js';
import { pathCollisions } from './route-paths.js';
import { type RouteConfig, routeFieldsSchema, routeSchema } from './route-schema.js';

export { DEFAULT_ROUTE } from './default-route.js';
export {
  DEFAULT_DRAIN_INTERVAL_SECONDS,
  REFERENCE_CATERING_ENDPOINT,
  ROUTE_DEFAULTS,
} from './route-defaults.js';
export { type RouteConfig, routeSchema as routeConfigSchema } from './route-schema.js';

/** Names the routes file: `DELIVERY_CONFIG=examples/two-backends.json npm start`. */
const DELIVERY_CONFIG_ENV = USER_ENV.DELIVERY_CONFIG;

/**
 * Configuration of a whole deployment: its routes and what they share. Everything the stack,
 * the local runner, `gd` and the bench build derives from it.
 */
export type DeliveryConfig = Readonly<Omit<DeliveryFile, '$schema' | 'routes'>> & {
  readonly routes: readonly RouteConfig[];
};

/** Parses a route, turning schema failures into one message that names each bad field and value. */
export function parseRoute(input: unknown): RouteConfig {
  const result = routeSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = configProblems(result.error.issues, input, routeFieldNames).map(
    (problem) =>
      `${formatPath(problem.path) || 'route'}: ${problem.message} (got ${formatValue(problem.value)})`,
  );
  throw new ConfigurationError(`Invalid route configuration: ${problems.join('; ')}`);
}

/** Field names valid at a path of a route (for "did you mean" on a misspelt field). */
function routeFieldNames(path: readonly PropertyKey[]): readonly string[] {
  return path.length === 0 ? Object.keys(routeFieldsSchema.shape) : [];
}

/** Field names valid at a path of the routes file. */
function fileFieldNames(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return Object.keys(deliveryFileSchema.shape);
  if (path.length === 2 && path[0] === 'routes') return Object.keys(routeFieldsSchema.shape);
  return [];
}

/** A number in a variable, or undefined when unset; the route schema checks its range. */
function numberFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = parseDecimal(raw);
  if (value === undefined) throw new ConfigurationError(`${name} must be a number, got '${raw}'`);
  return value;
}

/**
 * Reads and validates a routes file. The message of a bad file names the file, each route at
 * fault (by name and position), the field, the value found and what to use instead.
 */
export function loadRoutesFile(path: string): DeliveryFile {
  const shown = displayPath(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(
      `${DELIVERY_CONFIG_ENV} names ${shown}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? describeError(error)}); set it to the path of a routes file such as examples/two-backends.json`,
      { cause: error },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${shown} is not valid JSON: ${describeError(error)}`, { cause: error });
  }
  const result = deliveryFileSchema.safeParse(document);
  const problems = result.success
    ? bodySchemaProblems(result.data, dirname(path), document)
    : configProblems(result.error.issues, document, fileFieldNames);
  if (result.success && problems.length === 0) return withSchemaPaths(result.data, dirname(path));
  const lines = problems.map((problem) => {
    const [top, index, ...field] = problem.path;
    const where =
      top === 'routes' && typeof index === 'number'
        ? `route ${routeLabel(document, index)}, field '${formatPath(field) || '(the route itself)'}'`
        : `field '${formatPath(problem.path) || '(the file itself)'}'`;
    return `  - ${where}: ${problem.message} (got ${formatValue(problem.value)})`;
  });
  throw new ConfigurationError(`Invalid routes file ${shown}:\n${lines.join('\n')}`);
}

/** A route's `schema` file, resolved against the routes file's folder (built-in names stay names). */
function schemaPath(schema: string, folder: string): string {
  return isBuiltInBodySchema(schema) ? schema : resolve(folder, schema);
}

/** The file's routes with each schema file's path made absolute, so it holds from any directory. */
function withSchemaPaths(file: DeliveryFile, folder: string): DeliveryFile {
  return {
    ...file,
    routes: file.routes.map((route) =>
      route.schema === undefined ? route : { ...route, schema: schemaPath(route.schema, folder) },
    ),
  };
}

/**
 * Each route's JSON Schema file, read and compiled now (at synth, at start), so a missing file or a
 * schema Ajv cannot compile is a configuration problem of that route, not an ingest that fails later.
 */
function bodySchemaProblems(file: DeliveryFile, folder: string, document: unknown): ConfigProblem[] {
  return file.routes.flatMap((route, index): ConfigProblem[] => {
    if (route.schema === undefined || isBuiltInBodySchema(route.schema)) return [];
    const at = { path: ['routes', index, 'schema'], value: valueAt(document, ['routes', index, 'schema']) };
    let schema: unknown;
    try {
      schema = JSON.parse(readFileSync(schemaPath(route.schema, folder), 'utf8'));
    } catch (error) {
      return [
        {
          ...at,
          message: `cannot read the schema file as JSON (${describeError(error)}); give a path relative to the routes file`,
        },
      ];
    }
    try {
      compileBodySchema(schema);
      return [];
    } catch (error) {
      return [{ ...at, message: `${(error as Error).message}; fix the schema file` }];
    }
  });
}

/** `'billing' (routes[1])`, or just the position when the route has no usable name. */
function routeLabel(document: unknown, index: number): string {
  const routes = (document as { routes?: unknown }).routes;
  const name = Array.isArray(routes) ? (routes[index] as { name?: unknown } | undefined)?.name : undefined;
  return typeof name === 'string' && name !== '' ? `'${name}' (routes[${index}])` : `routes[${index}]`;
}

/** The path as the user would recognise it: relative to the working directory when inside it. */
function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere && !fromHere.startsWith('..') ? fromHere : path;
}

/**
 * Builds the deployment configuration, validated. Used by `cdk synth`, the local runner, `gd` and
 * the bench alike, so they all see the same routes.
 *
 * With `DELIVERY_CONFIG` set, the routes and shared settings come from that file (the default
 * route's variables `CATERING_SERVICE_EP`, `MAX_ATTEMPTS`, ... are not read); `DRAIN_INTERVAL_SECONDS`
 * and `API_KEY_REQUIRED`, when set, override the file's shared settings. Without it: `routes`
 * (the default route unless a caller gives others), the first one shaped by the environment.
 */
export function loadDeliveryConfig(
  env: Env,
  routes: readonly RouteConfig[] = [DEFAULT_ROUTE],
): DeliveryConfig {
  const file = env[DELIVERY_CONFIG_ENV]?.trim();
  const shared = file
    ? loadRoutesFile(file)
    : {
        routes: defaultRoutes(env, routes),
        drainIntervalSeconds: DEFAULT_DRAIN_INTERVAL_SECONDS,
        apiKeyRequired: DEFAULT_API_KEY_REQUIRED,
        recordRetentionDays: MESSAGE_TABLE.defaultRetentionDays,
        frontDoor: DEFAULT_FRONT_DOOR,
        tableBilling: DEFAULT_TABLE_BILLING,
      };
  const drainIntervalSeconds =
    numberFromEnv(env, USER_ENV.DRAIN_INTERVAL_SECONDS) ?? shared.drainIntervalSeconds;
  if (!Number.isInteger(drainIntervalSeconds) || drainIntervalSeconds < 1) {
    throw new ConfigurationError(
      `${USER_ENV.DRAIN_INTERVAL_SECONDS} must be a whole number of seconds >= 1, got '${drainIntervalSeconds}'`,
    );
  }
  const apiKey = env[USER_ENV.API_KEY_REQUIRED]?.trim().toLowerCase();
  if (apiKey !== undefined && apiKey !== '' && apiKey !== 'true' && apiKey !== 'false') {
    throw new ConfigurationError(`${USER_ENV.API_KEY_REQUIRED} must be 'true' or 'false', got '${apiKey}'`);
  }
  const recordRetentionDays =
    numberFromEnv(env, USER_ENV.RECORD_RETENTION_DAYS) ?? shared.recordRetentionDays;
  if (!Number.isInteger(recordRetentionDays) || recordRetentionDays < MIN_RECORD_RETENTION_DAYS) {
    throw new ConfigurationError(
      `${USER_ENV.RECORD_RETENTION_DAYS} must be a whole number of days >= ${MIN_RECORD_RETENTION_DAYS} (a message can live ${MIN_RECORD_RETENTION_DAYS} days in the queue and the DLQ, and its record must outlive it), got '${recordRetentionDays}'`,
    );
  }
  const { $schema: _editorHint, ...settings } = shared as DeliveryFile;
  return {
    ...settings,
    drainIntervalSeconds,
    recordRetentionDays,
    apiKeyRequired: apiKey ? apiKey !== 'false' : shared.apiKeyRequired,
  };
}

/** The given routes, the first shaped by the default route's variables (the catering scenario). */
function defaultRoutes(env: Env, routes: readonly RouteConfig[]): RouteConfig[] {
  const [first, ...rest] = routes;
  if (!first) throw new ConfigurationError('At least one route must be configured');
  const overridden = {
    ...first,
    target: env[USER_ENV.CATERING_SERVICE_EP]?.trim() || first.target,
    maxAttempts: numberFromEnv(env, USER_ENV.MAX_ATTEMPTS) ?? first.maxAttempts,
    timeoutSeconds: numberFromEnv(env, USER_ENV.TARGET_TIMEOUT_SECONDS) ?? first.timeoutSeconds,
    // The variables shape exponential backoff; a route given with a schedule keeps it.
    retry:
      'schedule' in first.retry
        ? first.retry
        : {
            baseSeconds: numberFromEnv(env, USER_ENV.RETRY_BASE_SECONDS) ?? first.retry.baseSeconds,
            maxSeconds: numberFromEnv(env, USER_ENV.RETRY_MAX_SECONDS) ?? first.retry.maxSeconds,
          },
  };
  const parsed = [overridden, ...rest].map(parseRoute);
  const names = new Set<string>();
  const paths = new Set<string>();
  for (const route of parsed) {
    if (names.has(route.name)) throw new ConfigurationError(`Route name '${route.name}' is used twice`);
    if (paths.has(route.path)) throw new ConfigurationError(`Route path '${route.path}' is used twice`);
    names.add(route.name);
    paths.add(route.path);
  }
  for (const { index, reason } of pathCollisions(parsed)) {
    const route = parsed[index];
    throw new ConfigurationError(`Route '${route?.name}' path '${route?.path}' ${reason}`);
  }
  return parsed;
}
