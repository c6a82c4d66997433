import type { Template } from 'aws-cdk-lib/assertions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { expect } from 'vitest';
import type { DeliveryFunction } from '../../infra/constructs/delivery-function.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import { idOf, resourcesOf } from './synth.js';

/** One statement of an `AWS::IAM::Policy` as the template writes it. */
export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/**
 * Names a policy resource: `*`, `<LogicalId>` for a Ref or a GetAtt Arn, and a joined ARN part by
 * part (`<LogicalId>/index/by-age`, `arn:AWS::Partition:lambda:...:event-source-mapping:<LogicalId>`).
 */
export function describeResource(resource: unknown): string {
  if (resource === '*') return '*';
  const value = resource as Record<string, unknown>;
  // A Ref: a secret's ARN, a pseudo parameter (AWS::Partition), an event source mapping's UUID.
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) return getAtt[0];
  const join = value['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => (typeof part === 'string' ? part : describeResource(part))).join('');
  throw new Error(`unexpected policy resource ${JSON.stringify(resource)}`);
}

/**
 * Every `action on resource` pair the function's role allows, whatever way the policies group
 * them (cdk.json's minimizePolicies merges statements), sorted.
 */
export function grantsOf(template: Template, fn: IFunction): string[] {
  const roleId = idOf(fn.role ?? fn);
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
  );
  const pairs = policies.flatMap((policy) =>
    (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement.flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      const actions = [statement.Action].flat();
      const resources = [statement.Resource].flat().map(describeResource);
      return actions.flatMap((action) => resources.map((resource) => `${action} on ${resource}`));
    }),
  );
  return [...new Set(pairs)].sort();
}

/** What DeliveryFunction gives every function: its own log group, and X-Ray when tracing is active. */
export function baseline(fn: DeliveryFunction, options: { tracing?: boolean } = {}): string[] {
  const logGroup = idOf(fn.functionLogGroup);
  return [
    `logs:CreateLogStream on ${logGroup}`,
    `logs:PutLogEvents on ${logGroup}`,
    ...(options.tracing ? ['xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'] : []),
  ];
}

/** A sorted copy. */
export function sorted(values: string[]): string[] {
  return [...values].sort();
}

/**
 * What every forwarder may do: consume and delay its own queue, dead-letter to its own DLQ, read and
 * update the status records (and, on an ordered route, read skip counts), get its route's large bodies. A signing secret, header
 * secrets and a circuit breaker add to it.
 */
export function forwarderGrants(route: DeliveryRoute, messageTable: ITable, payloads: IBucket): string[] {
  const queue = idOf(route.queue);
  const dlq = idOf(route.deadLetterQueue);
  const messages = idOf(messageTable);
  return [
    ...baseline(route.forwarderFunction),
    `sqs:ReceiveMessage on ${queue}`,
    `sqs:DeleteMessage on ${queue}`,
    `sqs:ChangeMessageVisibility on ${queue}`,
    `sqs:GetQueueAttributes on ${queue}`,
    `sqs:GetQueueUrl on ${queue}`,
    // An unordered route's copy put back behind another copy's delivery lease.
    ...(route.route.ordering ? [] : [`sqs:SendMessage on ${queue}`]),
    `sqs:SendMessage on ${dlq}`,
    `sqs:GetQueueAttributes on ${dlq}`,
    `sqs:GetQueueUrl on ${dlq}`,
    `dynamodb:UpdateItem on ${messages}`,
    // An ordered route's forwarder reads a message's skip count.
    ...(route.route.ordering ? [`dynamodb:GetItem on ${messages}`] : []),
    // Its large bodies, under its own route's prefix only.
    `s3:GetObject on ${idOf(payloads)}/${route.route.name}/*`,
  ];
}
