import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BREAKER_PROBE_EVENT, type BreakerSettings } from '../../shared/circuit-breaker.js';
import type { DeliveryFunction } from './delivery-function.js';

/**
 * How often the probe schedule invokes the forwarder: every minute, EventBridge's finest rate
 * ("Rate expressions reference", EventBridge User Guide: the unit is minute, hour or day). Whatever
 * `probeSeconds` says: each tick reads the breaker and probes only once its `probeAt` has come, so the
 * schedule is a clock, not the interval. A clock of `probeSeconds / 60` minutes would leave minutes
 * without a `BreakerOpen` point, which the one-minute breaker alarm counts as not breaching (CloudWatch
 * User Guide, "Configuring how CloudWatch alarms treat missing data"): with a long `probeSeconds` it
 * would flap to OK, and tell the alarm topic so, while the breaker is still open. A tick while closed
 * is one GetItem.
 */
export const BREAKER_PROBE_RATE = Duration.minutes(1);

/** Properties of a {@link RouteBreaker}. */
export interface RouteBreakerProps {
  /** The route's name and breaker settings (the routes file's `breaker`). */
  readonly route: {
    readonly name: string;
    readonly breaker: BreakerSettings;
    /** Present on an ordered route, whose forwarder has no send on its queue of its own. */
    readonly ordering?: unknown;
  };
  /** The route's forwarder: it counts failures, holds records back, and is the probe too. */
  readonly forwarder: DeliveryFunction;
  /** The route's delivery queue: records held back or probed go back into it. */
  readonly queue: IQueue;
  /** The forwarder's SQS event source mapping: the switch the breaker turns off and on. */
  readonly eventSourceMapping: IEventSourceMapping;
  /** The message table, which holds the breaker's item (`circuit breaker` / route name). */
  readonly messageTable: ITable;
}

/**
 * The AWS side of a route's circuit breaker (docs/circuit-breaker.md): the forwarder's extra grants,
 * exactly what functions/forwarder/circuit-breaker.ts and probe-breaker.ts call, and the schedule
 * that invokes the forwarder as the probe. The alarm on `BreakerOpen` is DeliveryMonitoring's.
 */
export class RouteBreaker extends Construct {
  /** Invokes the forwarder with {@link BREAKER_PROBE_EVENT} every {@link BREAKER_PROBE_RATE}. */
  public readonly probeSchedule: Rule;
  /**
   * The forwarder's Lambda permissions for its delivery switch, in a policy of their own: the mapping
   * is created from the function, and the function depends on its role's default policy, so a
   * statement naming the mapping there would be a cycle (mapping → function → policy → mapping).
   * The function does not depend on this one.
   */
  public readonly switchPolicy: Policy;

  constructor(scope: Construct, id: string, props: RouteBreakerProps) {
    super(scope, id);
    const { forwarder, queue, messageTable, eventSourceMapping, route } = props;

    // The breaker item: a GetItem per batch and per probe tick (the conditional UpdateItems that
    // count and move it are the forwarder's existing grant).
    Grant.addToPrincipal({
      grantee: forwarder,
      actions: ['dynamodb:GetItem'],
      resourceArns: [messageTable.tableArn],
    });
    // Held and probed records go back to their own queue as fresh copies (SendMessage with
    // DelaySeconds; an unordered route's forwarder has it already, for copies put back behind a
    // delivery lease). Receive and Delete, which the probe also uses, come with the event source.
    if (route.ordering) queue.grant(forwarder, 'sqs:SendMessage');

    this.switchPolicy = new Policy(this, 'SwitchPolicy', {
      roles: forwarder.role ? [forwarder.role] : [],
      statements: [
        // Lambda's "Resources and conditions for Lambda actions" (Developer Guide) and the Service
        // Authorization Reference list no resource type for ListEventSourceMappings: `*` only. The
        // forwarder lists the mappings of its own function name to find its one mapping.
        new PolicyStatement({ actions: ['lambda:ListEventSourceMappings'], resources: ['*'] }),
        // Enabled=false / true on this route's mapping alone.
        new PolicyStatement({
          actions: ['lambda:UpdateEventSourceMapping'],
          resources: [eventSourceMapping.eventSourceMappingArn],
        }),
      ],
    });
    Validations.of(this.switchPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'lambda:ListEventSourceMappings supports no resource-level permission (Service Authorization Reference); UpdateEventSourceMapping is granted on this route mapping only.',
    });

    // A failed tick is not worth retrying: the next one comes within a minute, and a late one
    // would only overlap it. Lambda's own retries of the asynchronous invocation are off too.
    forwarder.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: BREAKER_PROBE_RATE });
    this.probeSchedule = new Rule(this, 'ProbeSchedule', {
      description: `Circuit breaker probe of the ${route.name} route: while open, the forwarder tries one message about every ${route.breaker.probeSeconds} s (at least a minute)`,
      schedule: Schedule.rate(BREAKER_PROBE_RATE),
      targets: [
        new LambdaFunction(forwarder, {
          event: RuleTargetInput.fromObject(BREAKER_PROBE_EVENT),
          retryAttempts: 0,
          // EventBridge's least event age (60 s): a tick older than the next one is worthless.
          maxEventAge: BREAKER_PROBE_RATE,
        }),
      ],
    });
  }
}
