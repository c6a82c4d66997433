import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { MAX_LAMBDA_TIMEOUT_SECONDS } from '../../shared/aws-limits.js';
import { USER_ENV } from '../../shared/config/env-names.js';
import type { StackBindings } from '../../shared/config/function-config.js';
import type { RouteConfig } from '../../shared/config/routes.js';
import { MAX_DRAIN_CONCURRENCY, MAX_DRAIN_TIME_BUDGET_SECONDS } from '../../shared/drain-budget.js';
import { ConfigurationError } from '../../shared/errors.js';
import { queueNamePatterns } from '../../shared/resource-names.js';
import { FAILOVER_TABLE } from '../../shared/tables.js';
import { DeliveryFunction } from './delivery-function.js';
import { grantOnQueuePatterns } from './queue-patterns.js';
import { routeTableAsset } from './route-table.js';

/**
 * The failover drainer: the function that moves failover items back to their routes' queues, its
 * environment and exact grants, and its EventBridge schedule. A function rather than a construct
 * so the resources keep the logical ids a deployed stack already has (`Drainer`, `DrainSchedule`):
 * a new construct level would rename, and so replace, them.
 */

/** Time the drainer keeps beyond its budget for the last batch, the deletes and the lease. */
const DRAINER_TIMEOUT_MARGIN_SECONDS = 15;

/** What the drainer works on. */
export interface FailoverDrainerProps {
  readonly failoverTable: ITable;
  readonly messageTable: ITable;
  /** What every function of the stack is told (tables, queue naming). */
  readonly bindings: StackBindings;
  /** The stack's resource prefix: the drainer may send to `<prefix>_q_*`, its delivery queues. */
  readonly namePrefix: string;
  /** Every route: their intakes become the drainer's route table. */
  readonly routes: readonly RouteConfig[];
  /** Seconds between runs, from {@link validateDrainInterval}. */
  readonly intervalSeconds: number;
  /** Seconds one run may work, from {@link drainTimeBudget}. */
  readonly timeBudgetSeconds: number;
  /** SendMessageBatch calls in flight per run; the drainer's default (DEFAULT_DRAIN_CONCURRENCY) when absent. */
  readonly concurrency?: number;
}

/** The drainer function and its schedule. */
export interface FailoverDrainer {
  readonly drainerFunction: DeliveryFunction;
  readonly drainSchedule: Rule;
}

/**
 * EventBridge rates are whole minutes, at least one. The local runner drains at any interval, so
 * the message says where the limit comes from.
 */
export function validateDrainInterval(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 60 || seconds % 60 !== 0) {
    throw new ConfigurationError(
      `${USER_ENV.DRAIN_INTERVAL_SECONDS} must be a whole number of minutes in seconds (60, 120, ...) on AWS, because EventBridge schedules are whole minutes; got ${seconds}. Locally any value works.`,
    );
  }
  return seconds;
}

/** The drainer's budget per run: the given one, or the interval less 10 s, never over the ceiling. */
export function drainTimeBudget(given: number | undefined, intervalSeconds: number): number {
  const budget = given ?? Math.min(intervalSeconds - 10, MAX_DRAIN_TIME_BUDGET_SECONDS);
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_DRAIN_TIME_BUDGET_SECONDS) {
    throw new ConfigurationError(
      `drainTimeBudgetSeconds must be a whole number from 1 to ${MAX_DRAIN_TIME_BUDGET_SECONDS}, got ${budget}`,
    );
  }
  return budget;
}

/** The drainer's concurrency as given, checked against its bounds (the drainer checks it again). */
export function validateDrainConcurrency(given: number | undefined): number | undefined {
  if (given !== undefined && (!Number.isInteger(given) || given < 1 || given > MAX_DRAIN_CONCURRENCY)) {
    throw new ConfigurationError(
      `drainConcurrency must be a whole number from 1 to ${MAX_DRAIN_CONCURRENCY}, got ${given}`,
    );
  }
  return given;
}

/** Adds the drainer (ids `Drainer`, `DrainSchedule`) to `scope`, with only the grants it needs. */
export function addFailoverDrainer(scope: Construct, props: FailoverDrainerProps): FailoverDrainer {
  const drainer = new DeliveryFunction(scope, 'Drainer', {
    name: 'drainer',
    description: 'Moves failover items back to their delivery queues, oldest first',
    timeout: Duration.seconds(
      Math.min(props.timeBudgetSeconds + DRAINER_TIMEOUT_MARGIN_SECONDS, MAX_LAMBDA_TIMEOUT_SECONDS),
    ),
    // A failed drain is retried by the next scheduled run; Lambda's own retries would only overlap it.
    retryAttempts: 0,
    assetFiles: routeTableAsset(props.routes),
  });
  drainer.setConfigDocument(
    {
      stack: props.bindings,
      timeBudgetSeconds: props.timeBudgetSeconds,
      ...(props.concurrency === undefined
        ? {}
        : { concurrency: validateDrainConcurrency(props.concurrency) }),
    },
    'the drainer',
  );
  // Exact ARNs rather than Table.grant, which would add `<table>/index/*` to every action:
  // reads go through the by-age index only; deletes and the lease item touch the table only.
  Grant.addToPrincipal({
    grantee: drainer,
    actions: ['dynamodb:Query'],
    resourceArns: [`${props.failoverTable.tableArn}/index/${FAILOVER_TABLE.ageIndex.name}`],
  });
  Grant.addToPrincipal({
    grantee: drainer,
    actions: [
      'dynamodb:BatchWriteItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      // Ordered routes: the drainer reads each key's counter before it moves the key's items, and
      // parks again an item left at or below its key's mark (dynamodb-ordered-failover.ts).
      ...(props.routes.some((route) => route.ordering) ? ['dynamodb:GetItem', 'dynamodb:PutItem'] : []),
    ],
    resourceArns: [props.failoverTable.tableArn],
  });
  // The drainer notes on each moved message's record that it left the failover table.
  Grant.addToPrincipal({
    grantee: drainer,
    actions: ['dynamodb:UpdateItem'],
    resourceArns: [props.messageTable.tableArn],
  });
  grantOnQueuePatterns(
    drainer,
    ['sqs:SendMessage'],
    [queueNamePatterns(props.namePrefix).deliveryQueues],
    "The drainer serves every route: it may send to the stack's delivery queues, named <prefix>_q_<route>, and to nothing else.",
  );

  const drainSchedule = new Rule(scope, 'DrainSchedule', {
    description: `Runs the failover drainer every ${props.intervalSeconds / 60} minute(s)`,
    schedule: Schedule.rate(Duration.seconds(props.intervalSeconds)),
    targets: [new LambdaFunction(drainer)],
  });
  return { drainerFunction: drainer, drainSchedule };
}
