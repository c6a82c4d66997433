import { drainerConfig } from '../functions/drainer/drainer-config.js';
import { forwarderConfig } from '../functions/forwarder/forwarder-config.js';
import { ingestConfig } from '../functions/ingest/ingest-config.js';
import { forwarderDocument, type StackBindings } from '../shared/config/function-config.js';
import { routeTableOf } from '../shared/config/route-document.js';
import type { RouteConfig } from '../shared/config/routes.js';
import { queueUrlBase } from '../shared/resource-names.js';
import { MESSAGE_TABLE } from '../shared/tables.js';
import type { Tables } from './provision.js';
import { DRAINER_TIMEOUT_MS } from './scheduled-functions.js';

/**
 * The local functions' configurations, each read from the same document the stack writes on AWS:
 * the runner builds its functions from these, and so do tests and the bench.
 */

/** The drainer's time budget per run locally (its Lambda gets {@link DRAINER_TIMEOUT_MS}). */
export const DRAIN_TIME_BUDGET_SECONDS = 20;

/** What the local stack's bindings are made of. */
export interface LocalBindingsOptions {
  /** The local prefix: queue names start with it. */
  readonly prefix: string;
  /** The URL of any queue provisioned under the prefix: the others' URLs differ only by name. */
  readonly queueUrl: string;
  readonly tables: Tables;
  /** The payload bucket (bodies over the claim-check threshold). @default - none: such bodies get 413 */
  readonly payloadBucket?: string;
  /** @default false */
  readonly logPayloads?: boolean;
  /** @default MESSAGE_TABLE.defaultRetentionDays */
  readonly recordRetentionDays?: number;
  /** Seconds a forwarder caches its secrets. @default the functions' own default (30) */
  readonly secretCacheSeconds?: number;
}

/**
 * The local stack's bindings, the `stack` of every local function's document: the same document the
 * stack writes on AWS, with the runner's table names and queue naming.
 */
export function localStackBindings(options: LocalBindingsOptions): StackBindings {
  return {
    failoverTable: options.tables.failoverTable,
    messageTable: options.tables.messageTable,
    recordRetentionSeconds: (options.recordRetentionDays ?? MESSAGE_TABLE.defaultRetentionDays) * 86_400,
    queues: { namePrefix: options.prefix, urlBase: queueUrlBase(options.queueUrl) },
    logPayloads: options.logPayloads ?? false,
    ...(options.payloadBucket ? { payloadBucket: options.payloadBucket } : {}),
    ...(options.secretCacheSeconds === undefined ? {} : { secretCacheSeconds: options.secretCacheSeconds }),
  };
}

/** What {@link localFunctionConfigs} builds the local functions' configurations from. */
export interface LocalConfigsOptions extends LocalBindingsOptions {
  readonly routes: readonly RouteConfig[];
  /** @default DRAIN_TIME_BUDGET_SECONDS (20) */
  readonly drainTimeBudgetSeconds?: number;
  /** Signed routes' secret names (the runner's, in the emulator's Secrets Manager). */
  readonly signingSecretIds?: ReadonlyMap<string, string>;
}

/**
 * The local functions' configurations, each read from the same document the stack writes on AWS
 * (tests and the bench build the real handlers from these, as the runner does).
 */
export function localFunctionConfigs(options: LocalConfigsOptions) {
  const stack = localStackBindings(options);
  const routeTable = routeTableOf(options.routes);
  return {
    stack,
    routeTable,
    ingest: ingestConfig({ stack }, routeTable),
    drainer: drainerConfig(
      { stack, timeBudgetSeconds: options.drainTimeBudgetSeconds ?? DRAIN_TIME_BUDGET_SECONDS },
      routeTable,
    ),
    forwarder: (route: RouteConfig) =>
      forwarderConfig(forwarderDocument(stack, route, options.signingSecretIds?.get(route.name))),
  };
}
