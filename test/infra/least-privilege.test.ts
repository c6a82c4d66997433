import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { routeGroupOf } from '../../shared/config/route-groups.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { isRouteGroupOutputKey, routeGroupOutputKey } from '../../shared/config/stack-outputs.js';
import { baseline, forwarderGrants, grantsOf, type PolicyStatement, sorted } from './grants.js';
import { idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

/** A queue name pattern's ARN as grantsOf describes it. */
const queuePattern = (pattern: string) => `arn:AWS::Partition:sqs:AWS::Region:AWS::AccountId:${pattern}`;

describe('least privilege (two routes)', () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let catering: DeliveryRoute;
  let orders: DeliveryRoute;

  beforeAll(() => {
    // Prepare: the default route, signed, plus a second one unsigned, so per-route grants can be told apart.
    const config = loadDeliveryConfig(userEnv(), [
      {
        ...ORDERS_ROUTE,
        name: 'catering',
        path: '/catering/register',
        schema: 'catering-registration',
        signing: {},
      },
      ORDERS_ROUTE,
    ]);
    ({ stack, template } = synthStack({ config }));
    [catering, orders] = stack.routes as [DeliveryRoute, DeliveryRoute];
  });

  it("lets the one ingest send to the stack's delivery queues (by name pattern, not their DLQs), put and read items of the failover table (never its index) and keep status records", () => {
    // Act
    const ingest = stack.ingest.ingestFunction;
    const grants = grantsOf(template, ingest);

    // Assess
    expect(grants).toEqual(
      sorted([
        ...baseline(ingest),
        `sqs:SendMessage on ${queuePattern('TestDelivery_q_*')}`,
        `dynamodb:PutItem on ${idOf(stack.failoverTable)}`,
        `dynamodb:GetItem on ${idOf(stack.failoverTable)}`,
        `dynamodb:PutItem on ${idOf(stack.messageTable)}`,
        `dynamodb:GetItem on ${idOf(stack.messageTable)}`,
        `dynamodb:UpdateItem on ${idOf(stack.messageTable)}`,
        `dynamodb:DeleteItem on ${idOf(stack.messageTable)}`,
        // Large bodies: put only, on the bucket's objects (the one ingest serves every route).
        `s3:PutObject on ${idOf(stack.payloads.bucket)}/*`,
      ]),
    );
  });

  it('lets each forwarder consume and delay its own queue, dead-letter to its own DLQ, read and update the status records', () => {
    for (const route of [catering, orders]) {
      // Act
      const grants = grantsOf(template, route.forwarderFunction);

      // Assess
      expect(grants).toEqual(
        sorted([
          ...forwarderGrants(route, stack.messageTable, stack.payloads.bucket),
          // Its own route's signing secret, read only; the unsigned route's forwarder has none.
          ...(route.signingSecret
            ? [
                `secretsmanager:DescribeSecret on ${idOf(route.signingSecret)}`,
                `secretsmanager:GetSecretValue on ${idOf(route.signingSecret)}`,
              ]
            : []),
        ]),
      );
    }
  });

  it("lets no role but the signed route's forwarder touch its signing secret", () => {
    // Act: every role's grants, kept where they name Secrets Manager.
    const roles = Object.keys(resourcesOf(template, 'AWS::IAM::Role'));
    const secretGrants = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement.filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')),
      ).flatMap(() => (policy.Properties.Roles as Array<{ Ref: string }>).map((role) => role.Ref)),
    );

    // Assess
    expect(catering.signingSecret).toBeDefined();
    expect(orders.signingSecret).toBeUndefined();
    expect(roles.length).toBeGreaterThan(3);
    expect([...new Set(secretGrants)]).toEqual([idOf(catering.forwarderFunction.role as IConstruct)]);
  });

  it('lets the drainer read the by-age index, delete items, hold its lease and send to every route queue', () => {
    // Act
    const grants = grantsOf(template, stack.drainerFunction);

    // Assess
    const table = idOf(stack.failoverTable);
    expect(grants).toEqual(
      sorted([
        ...baseline(stack.drainerFunction),
        `dynamodb:Query on ${table}/index/by-age`,
        `dynamodb:BatchWriteItem on ${table}`,
        `dynamodb:UpdateItem on ${table}`,
        `dynamodb:DeleteItem on ${table}`,
        `dynamodb:UpdateItem on ${idOf(stack.messageTable)}`,
        `sqs:SendMessage on ${queuePattern('TestDelivery_q_*')}`,
      ]),
    );
  });

  it('lets the archiver walk both queues of every route, re-send to delivery queues, read queue ages and only put archive objects', () => {
    // Act
    const grants = grantsOf(template, stack.archive.archiverFunction);

    // Assess
    const consume = (queue: string) =>
      ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl'].map(
        (action) => `sqs:${action} on ${queue}`,
      );
    expect(grants).toEqual(
      sorted([
        ...baseline(stack.archive.archiverFunction),
        `s3:PutObject on ${idOf(stack.archive.bucket)}/*`,
        'cloudwatch:GetMetricData on *',
        ...consume(queuePattern('TestDelivery_q_*')),
        ...consume(queuePattern('TestDelivery_dlq_*')),
        `sqs:SendMessage on ${queuePattern('TestDelivery_q_*')}`,
      ]),
    );
  });

  it('grants no wildcard action, no managed policy and no inline role policy anywhere', () => {
    // Act
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement,
    );
    // API Gateway's account CloudWatch role is the one exception: AWS's managed
    // AmazonAPIGatewayPushToCloudWatchLogs policy, kept by AWS in step with what API Gateway needs.
    const apiGatewayRole = (
      template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>
    )[Object.keys(resourcesOf(template, 'AWS::ApiGateway::Account'))[0] ?? '']?.Properties
      .CloudWatchRoleArn as { 'Fn::GetAtt': [string] };
    const roles = Object.entries(resourcesOf(template, 'AWS::IAM::Role'))
      .filter(([id]) => id !== apiGatewayRole['Fn::GetAtt'][0])
      .map(([, role]) => role);

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
    }
    const assumedBy = (role: (typeof roles)[number]) =>
      (role.Properties.AssumeRolePolicyDocument as { Statement: { Principal: { Service: string } }[] })
        .Statement[0]?.Principal.Service;
    // One ingest, two forwarders, the drainer and the archiver; one role every continuing-delivery
    // state machine runs as (granted by the queues' name patterns).
    expect(roles.map(assumedBy).sort()).toEqual([
      ...Array(5).fill('lambda.amazonaws.com'),
      'states.amazonaws.com',
    ]);
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Action: 'sts:AssumeRole' }],
      });
    }
  });

  describe('per-route resources', () => {
    it('gives every route its own queue, DLQ, forwarder and event source settings', () => {
      // Act
      const mappings = resourcesOf(template, 'AWS::Lambda::EventSourceMapping');
      const queues = resourcesOf(template, 'AWS::SQS::Queue');

      // Assess
      expect(Object.keys(queues)).toHaveLength(4);
      expect(mappings[idOf(orders.eventSourceMapping)]?.Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [idOf(orders.queue), 'Arn'] },
        FunctionName: { Ref: idOf(orders.forwarderFunction) },
        BatchSize: 4,
        ScalingConfig: { MaximumConcurrency: 5 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(queues[idOf(orders.queue)]?.Properties).toMatchObject({
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(orders.deadLetterQueue), 'Arn'] },
          maxReceiveCount: 7,
        },
      });
    });

    it("lists every route in its group's output (stack-outputs.test.ts reads them back as gd does)", () => {
      // Act
      const outputs = template.findOutputs('*');

      // Assess: no per-route output at all (CloudFormation allows 200 a stack).
      expect(Object.keys(outputs).filter((key) => /^(Catering|OrderEvents)/.test(key))).toEqual([]);
      const groups = new Set([routeGroupOf('catering'), routeGroupOf('order-events')]);
      expect(Object.keys(outputs).filter(isRouteGroupOutputKey).sort()).toEqual(
        [...groups].map(routeGroupOutputKey).sort(),
      );
      for (const route of [catering, orders]) {
        const key = routeGroupOutputKey(routeGroupOf(route.route.name));
        const value = JSON.stringify(outputs[key]?.Value);
        expect(value).toContain(JSON.stringify({ Ref: idOf(route.eventSourceMapping) }));
        expect(value).toContain(`\\"path\\":\\"${route.route.path}\\"`);
      }
    });
  });
});
