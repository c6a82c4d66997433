import { archiveExpiring } from '../functions/archiver/archive-expiring.js';
import { archiverConfig, createArchiverDeps } from '../functions/archiver/archiver-config.js';
import { createDrainerDeps, drainerConfig } from '../functions/drainer/drainer-config.js';
import { createDrainerHandler } from '../functions/drainer/schedule-adapter.js';
import type { ArchiverDocument, DrainerDocument } from '../shared/config/function-config.js';
import type { RouteTable } from '../shared/config/route-document.js';
import { describeError } from '../shared/errors.js';
import { lambdaContext, scheduledEvent } from './aws-events.js';
import type { JourneyLog } from './journey-log.js';
import { type Schedule, startSchedule } from './schedule.js';

/** The drainer's Lambda timeout, as the stack gives it (its time budget per run is shorter). */
export const DRAINER_TIMEOUT_MS = 60_000;
/** The archiver's time budget per run locally. */
const ARCHIVE_TIME_BUDGET_MS = 20_000;

/** Where the scheduled functions' clients go. */
interface Endpoints {
  readonly awsEndpoint: string;
  readonly sqsEndpoint: string;
  readonly dynamoDbEndpoint: string;
}

/**
 * The drainer on its EventBridge schedule (failover table → delivery queues), reporting a failing
 * run once per outage rather than every tick.
 */
export function startDrainerSchedule(options: {
  readonly document: DrainerDocument;
  readonly routeTable: RouteTable;
  readonly intervalSeconds: number;
  readonly endpoints: Endpoints;
  readonly prefix: string;
  readonly log: JourneyLog;
}): Schedule {
  const { endpoints, log, prefix } = options;
  const config = drainerConfig(options.document, options.routeTable);
  const drainer = createDrainerHandler(
    createDrainerDeps(config, {
      sqsEndpoint: endpoints.sqsEndpoint,
      dynamoDbEndpoint: endpoints.dynamoDbEndpoint,
      logger: log.logger('drainer'),
    }),
    config,
  );
  let failing = false;
  return startSchedule(options.intervalSeconds * 1000, async () => {
    try {
      await drainer(
        scheduledEvent(`${prefix}-drain`),
        lambdaContext(`${prefix}-drainer`, DRAINER_TIMEOUT_MS),
      );
      if (failing) log.note('drainer', 'runs succeed again');
      failing = false;
    } catch (error) {
      if (!failing) log.note('drainer', `run failed: ${describeError(error)}; retrying on schedule`, 'warn');
      failing = true;
    }
  });
}

/**
 * The archiver on its schedule: messages nearing retention → the archive bucket. No CloudWatch
 * here to say how old a queue's oldest message is, so every run walks every queue.
 */
export function startArchiverSchedule(options: {
  readonly document: ArchiverDocument;
  readonly routeTable: RouteTable;
  readonly intervalSeconds: number;
  readonly endpoints: Endpoints;
  readonly log: JourneyLog;
}): Schedule {
  const { endpoints } = options;
  const config = archiverConfig(options.document, options.routeTable);
  const { targets } = config;
  const deps = createArchiverDeps(config, {
    sqsEndpoint: endpoints.sqsEndpoint,
    s3Endpoint: endpoints.awsEndpoint,
    logger: options.log.logger('archiver'),
    oldestAge: null,
  });
  // Not at start, unlike the drainer: nothing has aged yet, and a walk of a queue the pollers are
  // receiving from lets moto hand one message to both (see the event source mapping's turns).
  let started = false;
  const schedule = startSchedule(options.intervalSeconds * 1000, async () => {
    if (!started) {
      started = true;
      return;
    }
    await archiveExpiring(deps, targets, Date.now() + ARCHIVE_TIME_BUDGET_MS);
  });
  return { stop: (graceMs = ARCHIVE_TIME_BUDGET_MS) => schedule.stop(graceMs) };
}
