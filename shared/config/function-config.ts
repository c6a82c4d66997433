import { z } from 'zod';
import { MAX_SQS_RETENTION_SECONDS, MIN_SQS_RETENTION_SECONDS } from '../aws-limits.js';
import {
  DEFAULT_DRAIN_CONCURRENCY,
  DEFAULT_DRAIN_TIME_BUDGET_SECONDS,
  MAX_DRAIN_CONCURRENCY,
  MAX_DRAIN_TIME_BUDGET_SECONDS,
} from '../drain-budget.js';
import { ConfigurationError } from '../errors.js';
import { MAX_QUEUE_RETENTION_SECONDS } from '../queues.js';
import { type QueueNaming, queueNamingSchema } from '../resource-names.js';
import { SIGNING_SECRET_CACHE_SECONDS } from '../signing/signing-keys.js';
import { MESSAGE_TABLE } from '../tables.js';
import { formatPath } from './config-issues.js';
import { ENV, type Env } from './env-names.js';
import { type HeaderValue, isSecretHeaderValue, type SecretHeaderValue } from './header-value.js';
import { type RouteDocument, routeDocumentSchema, toRouteDocument } from './route-document.js';
import type { RouteConfig } from './route-schema.js';

/**
 * A function's configuration is one JSON document in one environment variable, checked by a zod
 * schema at cold start (the way a CDK construct takes one Props object): no variable per setting,
 * no hand parser per variable, and no variable that grows with the number of routes. The stack
 * writes it (CloudFormation resolves the names and URLs in it), the local runner hands the same
 * document in-process.
 */

/** The one environment variable every function reads. */
export const FUNCTION_CONFIG_ENV = ENV.FUNCTION_CONFIG;

/** Ten years: a sane ceiling for a status record's retention. */
const MAX_RECORD_RETENTION_SECONDS = 10 * 365 * 86_400;

/**
 * Where a function finds what the deployment shares: the same for every function of a stack.
 * Queue names and URLs are not listed (their number grows with the routes): each function derives
 * them from `queues` and the route's name (shared/resource-names.ts).
 */
export const stackBindingsSchema = z.strictObject({
  /** The failover table. */
  failoverTable: z.string().min(1),
  /** The message table: status records, also the forwarders' idempotency records. */
  messageTable: z.string().min(1),
  /** Seconds a status record is kept after its last write (the table's TTL). */
  recordRetentionSeconds: z
    .number()
    .int()
    .min(MESSAGE_TABLE.minRetentionSeconds)
    .max(MAX_RECORD_RETENTION_SECONDS)
    .default(MESSAGE_TABLE.defaultRetentionDays * 86_400),
  /** How the routes' queues are named and reached. */
  queues: queueNamingSchema,
  /**
   * The payload bucket: bodies over the claim-check threshold, one object each under its route's
   * prefix (shared/payloads.ts). Absent: such bodies are refused with 413, nothing to keep them in.
   */
  payloadBucket: z.string().min(1).optional(),
  /** `true` logs message bodies too (off: payloads may hold personal data). */
  logPayloads: z.boolean().default(false),
  /** Seconds a forwarder keeps a secret (signing, header values) before reading it again. */
  secretCacheSeconds: z.number().int().min(0).max(3600).default(SIGNING_SECRET_CACHE_SECONDS),
});

/** The stack bindings as written. */
export type StackBindings = z.input<typeof stackBindingsSchema>;

/** The stack bindings as read, defaults applied. */
export type StackSettings = z.output<typeof stackBindingsSchema>;

export type { QueueNaming };

/** The forwarder's document: the stack it works in and the route it delivers. */
export const forwarderDocumentSchema = z.strictObject({
  stack: stackBindingsSchema,
  route: routeDocumentSchema,
});

/** A forwarder's document as written (the stack's JSON, the local runner's object). */
export type ForwarderDocument = z.input<typeof forwarderDocumentSchema>;

/** The ingest's document: where the stack's tables and queues are. Its routes come from the route table. */
export const ingestDocumentSchema = z.strictObject({ stack: stackBindingsSchema });

/** An ingest's document as written. */
export type IngestDocument = z.input<typeof ingestDocumentSchema>;

/** The drainer's document: the stack it works in and its time budget per run. Its routes come from the route table. */
export const drainerDocumentSchema = z.strictObject({
  stack: stackBindingsSchema,
  /** Seconds a run may spend before it leaves the rest to the next run. */
  timeBudgetSeconds: z
    .number()
    .int()
    .min(1)
    .max(MAX_DRAIN_TIME_BUDGET_SECONDS)
    .default(DEFAULT_DRAIN_TIME_BUDGET_SECONDS),
  /** SendMessageBatch calls a run keeps in flight at once (send-pipeline.ts). */
  concurrency: z.number().int().min(1).max(MAX_DRAIN_CONCURRENCY).default(DEFAULT_DRAIN_CONCURRENCY),
});

/** A drainer's document as written. */
export type DrainerDocument = z.input<typeof drainerDocumentSchema>;

/** The archiver's document: the stack, its bucket and the retention it archives ahead of. Its routes come from the route table. */
export const archiverDocumentSchema = z.strictObject({
  stack: stackBindingsSchema,
  /** The archive bucket. */
  bucketName: z.string().min(1),
  /** Delivery queue retention in seconds (the DLQs keep theirs, DLQ_RETENTION_SECONDS). */
  queueRetentionSeconds: z.number().int().min(MIN_SQS_RETENTION_SECONDS).max(MAX_QUEUE_RETENTION_SECONDS),
  /** Archive a message when its age reaches its queue's retention minus this. */
  archiveMarginSeconds: z.number().int().min(1).max(MAX_SQS_RETENTION_SECONDS),
});

/** An archiver's document as written. */
export type ArchiverDocument = z.input<typeof archiverDocumentSchema>;

/**
 * A route's forwarder document. A signed route's secret is resolved here to the one the stack (or
 * the runner) made or was given, so the forwarder reads its name, never decides it.
 */
export function forwarderDocument(
  stack: StackBindings,
  route: RouteConfig,
  signingSecretId?: string,
): ForwarderDocument {
  const document: RouteDocument = toRouteDocument(route);
  if (route.signing && !signingSecretId) {
    throw new ConfigurationError(
      `route ${route.name} is signed but no signing secret was made for it; create its secret before its forwarder`,
    );
  }
  const { headers, ...delivery } = document.delivery;
  return {
    stack,
    route: {
      ...document,
      delivery: {
        ...delivery,
        ...(headers ? { headers: withoutKmsKeys(headers) } : {}),
        ...(signingSecretId ? { signing: { secret: signingSecretId } } : {}),
      },
    },
  };
}

/**
 * Header values as the forwarder reads them: a secret's `kmsKey` is for the stack's grant only (Secrets
 * Manager decrypts; the forwarder never calls KMS), so it stays out of the document.
 */
function withoutKmsKeys(headers: Record<string, HeaderValue>): Record<string, HeaderValue> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => {
      if (!isSecretHeaderValue(value)) return [name, value];
      const { kmsKey: _kmsKey, ...reference } = value as SecretHeaderValue & { kmsKey?: string };
      return [name, reference];
    }),
  );
}

/**
 * The document in {@link FUNCTION_CONFIG_ENV}, parsed as JSON (not yet checked); a missing or
 * malformed variable fails naming it.
 */
export function readConfigDocument(env: Env): unknown {
  const raw = env[FUNCTION_CONFIG_ENV];
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigurationError(`${FUNCTION_CONFIG_ENV} environment variable is not set`);
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(
      `${FUNCTION_CONFIG_ENV} is not a JSON document: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Checks a document with its schema; the error lists each field at fault (never a value: secrets). */
export function parseConfigDocument<T extends z.ZodType>(
  schema: T,
  document: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(document);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${formatPath(issue.path) || '(the document)'}: ${issue.message}`,
  );
  throw new ConfigurationError(
    `Invalid ${what} configuration (${FUNCTION_CONFIG_ENV}): ${problems.join('; ')}`,
  );
}

/** The one variable of a function's environment: its document as JSON. */
export function functionEnvironment(document: unknown): Record<string, string> {
  return { [FUNCTION_CONFIG_ENV]: JSON.stringify(document) };
}
