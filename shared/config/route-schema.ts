import { z } from 'zod';
import { LAMBDA_SYNC_PAYLOAD_BYTES, MAX_RECEIVE_COUNT } from '../aws-limits.js';
import { CLAIM_CHECK_THRESHOLD_BYTES, MAX_BODY_BYTES_LIMIT } from '../payloads.js';
import { orderedMaxReceiveCount } from '../queues.js';
import { BODY_SCHEMA_NAMES } from '../schemas/body-schemas.js';
import { headerValueSchema } from './header-value-schema.js';
import { ROUTE_DEFAULTS } from './route-defaults.js';
import {
  breakerSchema,
  exponentialRetrySchema,
  orderingSchema,
  scheduleRetrySchema,
  wholeNumber,
} from './route-option-schemas.js';
import { dotSegmentOf, dotSegmentReason } from './route-paths.js';
import { signingOptionSchema } from './signing-option.js';

/**
 * The routes file (`DELIVERY_CONFIG=<path>`): its zod schema is the single definition of what a
 * route may say (the file as a whole: delivery-file-schema.ts; a route's structured options:
 * route-option-schemas.ts). The loader validates with it, the JSON Schema shipped for editors is generated
 * from it, and {@link RouteConfig} is inferred from it.
 *
 * Adding an optional route setting is a change in one place plus its mapping:
 * 1. add the field to {@link routeFieldsSchema} below, with TSDoc, a `.describe()` text (it becomes the
 *    editor's hover help) and an `error` that says how to fix a bad value; give it a default in
 *    `ROUTE_DEFAULTS` (route-defaults.ts) with `.default(...)`, or leave it `.optional()`;
 * 2. map it to the function environment in `routeEnvironments` (route-environment.ts), which the
 *    CDK stack and the local runner both use, and read that variable in the function's config;
 * 3. run `npm run routes-schema` to regenerate `schemas/delivery-config.schema.json` (a test fails
 *    while it is stale) and add a row to the route table of docs/configuration.md.
 * Messages name the field through the schema's path, so a new field gets clear errors for free.
 */

/** Headers the forwarder sets itself on every attempt (and signing's `webhook-*`): a route cannot replace them. */
export const RESERVED_HEADERS = [
  'content-type',
  'content-length',
  'host',
  'idempotency-key',
  'x-message-id',
  'x-delivery-attempt',
  'traceparent',
  'tracestate',
] as const;

function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (RESERVED_HEADERS as readonly string[]).includes(lower) || lower.startsWith('webhook-');
}

/** Why a route's body limit cannot be larger: the request's event must fit one Lambda invocation. */
const MAX_BODY_BYTES_ERROR = `use a whole number of bytes from 1 to ${MAX_BODY_BYTES_LIMIT}: Lambda takes at most ${LAMBDA_SYNC_PAYLOAD_BYTES} bytes per synchronous invocation, the request's whole event included, whichever front door passes it`;

/** What a `schema` should look like. */
const SCHEMA_FORMS = `use one of ${BODY_SCHEMA_NAMES.join(', ')}, or the path of a .json JSON Schema file`;

const routeShape = {
  /** Short name used in resource names, outputs, logs and `gd --route`. */
  name: z
    .string({ error: 'use 1-31 lowercase letters, digits or dashes' })
    .regex(/^[a-z][a-z0-9-]{0,30}$/, { error: 'use 1-31 lowercase letters, digits or dashes' })
    .describe('Short name: 1-31 lowercase letters, digits or dashes, starting with a letter.'),
  /** API path, e.g. `/catering/register`. */
  path: z
    .string({ error: 'use a path like /catering/register' })
    .regex(/^(\/[A-Za-z0-9._-]+)+$/, { error: 'use a path like /catering/register' })
    .refine((path) => dotSegmentOf(path) === undefined, {
      error: (issue) => dotSegmentReason(dotSegmentOf(String(issue.input)) ?? '.'),
    })
    .describe(
      "API path clients POST to, e.g. /catering/register; no '.' or '..' segment, and not another route's path plus one segment (that is the other route's batch or status lookup).",
    ),
  /** Backend URL the forwarder POSTs each message to. */
  target: z
    .url({ protocol: /^https?$/, error: 'use an http(s) URL' })
    .describe('Backend URL each message is POSTed to.'),
  /**
   * Body schema the ingest validates against: a built-in's name, or the path of a JSON Schema file
   * (draft 2020-12), relative to the routes file; absent = any JSON.
   */
  schema: z
    .union(
      [
        z.enum(BODY_SCHEMA_NAMES, { error: SCHEMA_FORMS }),
        z.string({ error: SCHEMA_FORMS }).regex(/\.json$/, { error: SCHEMA_FORMS }),
      ],
      { error: SCHEMA_FORMS },
    )
    .optional()
    .describe(
      `Body schema requests must match: ${BODY_SCHEMA_NAMES.join(', ')}, or the path of a JSON Schema file (draft 2020-12) relative to this file; absent = any JSON.`,
    ),
  /**
   * Delivery attempts before the dead-letter queue; SQS's maxReceiveCount allows 1-1000. Its
   * default is `ROUTE_DEFAULTS.maxAttempts`, or the retry schedule's length + 1 (see routeSchema).
   */
  maxAttempts: wholeNumber(1, 1000)
    .optional()
    .meta({ default: ROUTE_DEFAULTS.maxAttempts })
    .describe(
      'Delivery attempts before a message goes to the dead-letter queue; with a retry schedule, its length + 1.',
    ),
  /** Backoff between attempts. */
  retry: z
    .union([exponentialRetrySchema, scheduleRetrySchema])
    .default(() => ({ ...ROUTE_DEFAULTS.retry }))
    .describe(
      'Backoff between attempts: exponential with jitter ({"baseSeconds","maxSeconds"}) or a list of delays ({"schedule": [...]}). A backend Retry-After that asks for longer wins.',
    ),
  /** Backend statuses that will not get better by retrying: dead-lettered at once, reason recorded. */
  nonRetryableStatuses: z
    .array(wholeNumber(100, 599), { error: 'use a list of HTTP statuses, e.g. [400, 422]' })
    .default(() => [...ROUTE_DEFAULTS.nonRetryableStatuses])
    .describe('Backend statuses that go straight to the dead-letter queue; [] retries everything.'),
  /** Forwarder maximum concurrency (the event source mapping's); SQS mappings allow 2-1000. */
  concurrency: wholeNumber(2, 1000)
    .default(ROUTE_DEFAULTS.concurrency)
    .describe('Batches delivered at once: protects the backend.'),
  /** Records per forwarder invocation; SQS hands out at most 10 per receive. */
  batchSize: wholeNumber(1, 10)
    .default(ROUTE_DEFAULTS.batchSize)
    .describe('Messages per forwarder invocation.'),
  /** Per-attempt backend timeout in seconds. */
  timeoutSeconds: wholeNumber(1, 300, ' of seconds')
    .default(ROUTE_DEFAULTS.timeoutSeconds)
    .describe('Seconds one delivery attempt may take.'),
  /**
   * Largest accepted body. A body over CLAIM_CHECK_THRESHOLD_BYTES goes by S3 (shared/payloads.ts),
   * so the stores do not bound it; Lambda's synchronous invocation payload, which holds the whole
   * request, does: no larger body can reach the ingest through either front door.
   */
  maxBodyBytes: z
    .number({ error: MAX_BODY_BYTES_ERROR })
    .int({ error: MAX_BODY_BYTES_ERROR })
    .min(1, { error: MAX_BODY_BYTES_ERROR })
    .max(MAX_BODY_BYTES_LIMIT, { error: MAX_BODY_BYTES_ERROR })
    .default(ROUTE_DEFAULTS.maxBodyBytes)
    .describe(
      `Largest accepted request body, in bytes (at most ${MAX_BODY_BYTES_LIMIT}: Lambda's 6 MB invocation payload less the rest of the request's event); bodies over ${CLAIM_CHECK_THRESHOLD_BYTES} go by S3.`,
    ),
  /** Standard Webhooks signatures on every delivery attempt (signing-option.ts); absent = unsigned. */
  signing: signingOptionSchema
    .optional()
    .describe(
      'Sign every delivery (Standard Webhooks webhook-id/-timestamp/-signature): true for a generated secret, {"secret": "<name or ARN>"} for an existing one on AWS, {"localSecretEnv": "VAR"} to seed it locally.',
    ),
  /**
   * Static headers sent with every delivery attempt, e.g. the backend's `Authorization`. A value is
   * text, or `{"secret": "<name or ARN>", "field"?: "<JSON key>", "prefix"?: "Bearer "}` read from
   * Secrets Manager by the forwarder (only the reference is deployed; on AWS the route's forwarder
   * alone may read that secret). Never logged; the delivery protocol's own headers cannot be replaced.
   */
  headers: z
    .record(
      z
        .string()
        .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, {
          error: 'use an HTTP header name such as Authorization',
        })
        .refine((name) => !isReservedHeader(name), {
          error: `the forwarder sets this header itself; use another name (reserved: ${RESERVED_HEADERS.join(', ')}, webhook-*)`,
        }),
      headerValueSchema,
      { error: 'use an object of header name to value, e.g. {"Authorization": "Bearer ..."}' },
    )
    .optional()
    .describe(
      'Static headers sent with every delivery attempt (never logged): text, or {"secret": "<Secrets Manager name or ARN>", "field": "<JSON key>", "prefix": "Bearer "} read by the forwarder, e.g. {"Authorization": {"secret": "orders-backend-token", "prefix": "Bearer "}}.',
    ),
  /**
   * Circuit breaker (docs/circuit-breaker.md): after `failures` consecutive failed attempts (no
   * answer, timeout, 408, 429, 5xx) deliveries stop and messages wait, no attempt counted; every
   * `probeSeconds` one real message is tried, and a success resumes deliveries. Absent = off.
   */
  breaker: breakerSchema
    .optional()
    .describe(
      'Stop delivering while the backend is down: {"failures": 5, "probeSeconds": 30} opens after 5 consecutive failed attempts (no answer, timeout, 408, 429, 5xx), then tries one message every 30 s and resumes on success (on AWS at most once a minute). Absent = off.',
    ),
  /** Ordered delivery per key (docs/ordering.md): where each message's key is; absent = unordered. */
  ordering: orderingSchema
    .optional()
    .describe(
      'Deliver in order per key: {"keyHeader": "Ordering-Key"} or {"keyPointer": "/passengerId"}; absent = no order.',
    ),
};

/**
 * Rules that span a route's fields (the intake's ordering and the delivery options), checked on the
 * routes file's route and on a function's route document alike.
 */
function checkRoute(route: z.output<z.ZodObject<typeof routeShape>>, context: z.RefinementCtx): void {
  if (route.breaker && route.ordering) {
    // A waiting message is put back as a fresh copy (its attempts carried along), which would move
    // it behind the later messages of its key.
    context.addIssue({
      code: 'custom',
      path: ['breaker'],
      message: 'a circuit breaker is not available on an ordered route yet; remove breaker or ordering',
    });
  }
  // An ordered route's queue counts skipped receives too (shared/queues.ts): SQS must be able to.
  const maxAttempts =
    route.maxAttempts ??
    ('schedule' in route.retry ? route.retry.schedule.length + 1 : ROUTE_DEFAULTS.maxAttempts);
  if (
    route.ordering &&
    orderedMaxReceiveCount({ maxAttempts, batchSize: route.batchSize }) > MAX_RECEIVE_COUNT
  ) {
    context.addIssue({
      code: 'custom',
      path: ['ordering'],
      message: `an ordered route needs maxAttempts x batchSize <= ${MAX_RECEIVE_COUNT} (SQS's receive count limit), got ${maxAttempts} x ${route.batchSize}; lower one of them`,
    });
  }
}

/**
 * The fields of a route: one path in, one backend out, with its own queue, dead-letter queue and
 * forwarder. New route settings go into its shape above (see the steps at the top of this file).
 */
export const routeFieldsSchema = z
  .strictObject(routeShape)
  .superRefine(checkRoute)
  .describe('One delivery route: its own queue, dead-letter queue and forwarder.');

/** The fields the ingest needs of a route (its intake): everything else is delivery. */
export const ROUTE_INTAKE_FIELDS = ['name', 'path', 'schema', 'maxBodyBytes', 'ordering'] as const;

/** The fields that say how a route's messages are delivered: per destination once a route fans out. */
export const DELIVERY_FIELDS = [
  'target',
  'maxAttempts',
  'retry',
  'nonRetryableStatuses',
  'concurrency',
  'batchSize',
  'timeoutSeconds',
  'signing',
  'headers',
  'breaker',
] as const;

/** A route's intake as the ingest, the drainer and the archiver read it from their route table. */
export const routeIntakeSchema = z.strictObject({
  name: routeShape.name,
  path: routeShape.path,
  schema: routeShape.schema,
  maxBodyBytes: routeShape.maxBodyBytes,
  ordering: routeShape.ordering,
});

/** A route's delivery options: the sub-object of a function's route document. */
export const deliveryOptionsSchema = z.strictObject({
  target: routeShape.target,
  maxAttempts: routeShape.maxAttempts,
  retry: routeShape.retry,
  nonRetryableStatuses: routeShape.nonRetryableStatuses,
  concurrency: routeShape.concurrency,
  batchSize: routeShape.batchSize,
  timeoutSeconds: routeShape.timeoutSeconds,
  signing: routeShape.signing,
  headers: routeShape.headers,
  breaker: routeShape.breaker,
});

/** A route as validated: its fields, with maxAttempts following a retry schedule. */
export const routeSchema = routeFieldsSchema
  .superRefine((route, context) => {
    if ('schedule' in route.retry && route.maxAttempts !== undefined) {
      const attempts = route.retry.schedule.length + 1;
      if (route.maxAttempts !== attempts) {
        context.addIssue({
          code: 'custom',
          path: ['maxAttempts'],
          message: `the retry schedule makes ${attempts} attempts; remove maxAttempts or set it to ${attempts}`,
        });
      }
    }
  })
  .transform((route) => ({
    ...route,
    maxAttempts:
      route.maxAttempts ??
      ('schedule' in route.retry ? route.retry.schedule.length + 1 : ROUTE_DEFAULTS.maxAttempts),
  }));

/** A validated route, every default applied. */
export type RouteConfig = z.output<typeof routeSchema>;
