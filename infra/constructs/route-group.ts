import { Aws, CfnOutput, type CfnResource, type Duration, NestedStack, Stack, Token } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnQueuePolicy } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StackBindings } from '../../shared/config/function-config.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import type { RouteConfig } from '../../shared/config/routes.js';
import { type DeployedRouteEntry, ROUTE_GROUP_OUTPUT } from '../../shared/config/stack-outputs.js';
import { DeliveryRoute } from './delivery-route.js';
import type { PayloadBucket } from './payload-bucket.js';

/** Properties of a {@link RouteGroup}. */
export interface RouteGroupProps {
  /** The routes of this group (shared/config/route-groups.ts says which), in configuration order. */
  readonly routes: readonly RouteConfig[];
  readonly bindings: StackBindings;
  readonly namePrefix: string;
  readonly messageTable: ITable;
  /** Where large bodies are kept: each forwarder reads its route's. */
  readonly payloads?: PayloadBucket;
  readonly forwarderLogGroup: ILogGroup;
  readonly queueRetention: Duration;
}

/**
 * A nested stack of routes (docs/scaling.md, "Where the routes live"): each route's queues, forwarder
 * and its role, event source mapping and, added by the stack's monitoring and continuing delivery,
 * its alarms and state machine. CloudFormation counts 500 resources a stack, nested stacks each on
 * their own ("CloudFormation quotas",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), so
 * the routes file's size is bound by the groups, not the parent. What a group takes from the parent
 * (tables, the forwarders' log group, the alarm topic) comes in as nested-stack parameters and what
 * the parent reads of it as nested-stack outputs: no export, so removing a route never waits for an
 * import to go.
 */
export class RouteGroup extends NestedStack {
  public readonly routes: readonly DeliveryRoute[];
  /** The group's routes output, for the parent stack (a GetAtt of the nested stack's resource). */
  public readonly routesOutput: string;

  constructor(scope: Construct, id: string, props: RouteGroupProps) {
    super(scope, id, { description: `Guaranteed delivery: routes of group ${id}` });
    this.routes = props.routes.map(
      (route) =>
        new DeliveryRoute(this, `${routeOutputPrefix(route.name)}Route`, {
          route,
          bindings: props.bindings,
          namePrefix: props.namePrefix,
          messageTable: props.messageTable,
          ...(props.payloads ? { payloads: props.payloads } : {}),
          forwarderLogGroup: props.forwarderLogGroup,
          queueRetention: props.queueRetention,
          ownQueuePolicies: false,
        }),
    );
    this.addSecureTransportPolicy(props.namePrefix);
    const output = new CfnOutput(this, ROUTE_GROUP_OUTPUT, {
      value: Stack.of(this).toJsonString(this.routes.map(deployedEntry)),
      description: "This group's routes as gd reads them (name, path, mapping, breaker, signing secret)",
    });
    // The parent reads the output by GetAtt on the nested stack's resource: not an export.
    this.routesOutput = Token.asString(
      (this.nestedStackResource as CfnResource).getAtt(`Outputs.${this.getLogicalId(output)}`),
    );
  }

  /**
   * One queue policy for every queue of the group, refusing any request without TLS (what
   * `enforceSSL` gives each queue, as one resource instead of two a route). AWS::SQS::QueuePolicy
   * applies one document to a list of queues; the statement names them by this stack's pattern.
   */
  private addSecureTransportPolicy(namePrefix: string): void {
    const queues = this.routes.flatMap((route) => [route.queue, route.deadLetterQueue]);
    if (queues.length === 0) return;
    new CfnQueuePolicy(this, 'SecureTransport', {
      queues: queues.map((queue) => queue.queueUrl),
      policyDocument: new PolicyDocument({
        statements: [
          new PolicyStatement({
            effect: Effect.DENY,
            principals: [new AnyPrincipal()],
            actions: ['sqs:*'],
            resources: [`arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${namePrefix}_*`],
            conditions: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      }),
    });
  }
}

/** A route as the group's output lists it (what gd cannot derive from the name and the prefix). */
function deployedEntry(route: DeliveryRoute): DeployedRouteEntry {
  return {
    name: route.route.name,
    path: route.route.path,
    mapping: route.eventSourceMapping.eventSourceMappingId,
    ...(route.route.ordering ? { ordered: true } : {}),
    ...(route.route.breaker
      ? {
          breaker: { failures: route.route.breaker.failures, probeSeconds: route.route.breaker.probeSeconds },
        }
      : {}),
    ...(route.signingSecretId ? { signingSecret: route.signingSecretId } : {}),
  };
}
