import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ingestConfig } from '../../functions/ingest/ingest-config.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { routeTableOf } from '../../shared/config/route-document.js';
import {
  DEFAULT_ROUTE,
  loadDeliveryConfig,
  parseRoute,
  type RouteConfig,
} from '../../shared/config/routes.js';
import { HIGH_THROUGHPUT_FIFO, orderedMaxReceiveCount } from '../../shared/queues.js';
import { configDocumentOf, idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

/** The second route, ordered per `orderId` in the body. */
const ORDERED_ROUTE: RouteConfig = { ...ORDERS_ROUTE, ordering: { keyPointer: '/orderId' } };

describe('an ordered route', () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let ordered: DeliveryRoute;
  let unordered: DeliveryRoute;

  beforeAll(() => {
    // Prepare: one synth with an unordered and an ordered route
    ({ stack, template } = synthStack({
      config: loadDeliveryConfig(userEnv(), [DEFAULT_ROUTE, ORDERED_ROUTE]),
    }));
    [unordered, ordered] = stack.routes as [DeliveryRoute, DeliveryRoute];
  });

  it('gets a high-throughput FIFO delivery queue with the settings the local runner uses', () => {
    // Act
    const queue = resourcesOf(template, 'AWS::SQS::Queue')[idOf(ordered.queue)];

    // Assess: the template says what HIGH_THROUGHPUT_FIFO says (local/provision.ts sets those)
    expect(queue?.Properties).toMatchObject({
      FifoQueue: true,
      DeduplicationScope: HIGH_THROUGHPUT_FIFO.DeduplicationScope,
      FifoThroughputLimit: HIGH_THROUGHPUT_FIFO.FifoThroughputLimit,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(ordered.deadLetterQueue), 'Arn'] },
        maxReceiveCount: orderedMaxReceiveCount(ORDERED_ROUTE),
      },
    });
    expect(orderedMaxReceiveCount(ORDERED_ROUTE)).toBe(7 * 4);
  });

  it('gets a FIFO DLQ that the console can redrive from (no redrive allow policy: SQS allows all)', () => {
    // Act
    const dlq = resourcesOf(template, 'AWS::SQS::Queue')[idOf(ordered.deadLetterQueue)];

    // Assess: SQS requires a FIFO queue's DLQ to be FIFO; without a RedriveAllowPolicy the DLQ's
    // redrive permission is allowAll, so "Start DLQ redrive" (StartMessageMoveTask) works
    expect(dlq?.Properties).toMatchObject({ FifoQueue: true });
    expect(dlq?.Properties.RedriveAllowPolicy).toBeUndefined();
  });

  it('maps the FIFO queue with partial batch failures, the route concurrency and no batching window', () => {
    // Act
    const mapping = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).find((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(idOf(ordered.queue)),
    );

    // Assess: Lambda has no batching window for FIFO sources
    expect(mapping?.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [idOf(ordered.queue), 'Arn'] },
      FunctionName: { Ref: idOf(ordered.forwarderFunction) },
      BatchSize: 4,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("sizes an ordered route's forwarder for its batch delivered one record after another", () => {
    // Act
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const queue = resourcesOf(template, 'AWS::SQS::Queue')[idOf(ordered.queue)];
    const timeout = Number(functions[idOf(ordered.forwarderFunction)]?.Properties.Timeout);

    // Assess: a batch of 4 records of one key, each up to the route's 25 s, plus the margin; the
    // queue's visibility at least six times that (Lambda's advice for SQS sources)
    expect(timeout).toBe(4 * 25 + 20);
    expect(queue?.Properties.VisibilityTimeout).toBe(6 * timeout);
    expect(functions[idOf(unordered.forwarderFunction)]?.Properties.Timeout).toBe(
      DEFAULT_ROUTE.timeoutSeconds + 20,
    );
  });

  it("takes fewer records per batch when ten in turn would pass Lambda's 900 s timeout", () => {
    // Prepare: an ordered route of ten records per batch, each allowed 300 s
    const slow: RouteConfig = { ...ORDERED_ROUTE, batchSize: 10, timeoutSeconds: 300 };
    const { stack: slowStack, template: slowTemplate } = synthStack({
      config: loadDeliveryConfig(userEnv(), [DEFAULT_ROUTE, slow]),
    });
    const route = slowStack.routes[1] as DeliveryRoute;

    // Act
    const timeout = resourcesOf(slowTemplate, 'AWS::Lambda::Function')[idOf(route.forwarderFunction)]
      ?.Properties.Timeout;
    const mapping = Object.values(resourcesOf(slowTemplate, 'AWS::Lambda::EventSourceMapping')).find((m) =>
      JSON.stringify(m.Properties.EventSourceArn).includes(idOf(route.queue)),
    );

    // Assess
    expect(mapping?.Properties.BatchSize).toBe(2);
    expect(timeout).toBe(2 * 300 + 20);
    expect(timeout).toBeLessThanOrEqual(900);
  });

  it('tells the ingest where the key is, through its route table', () => {
    // Act
    const table = routeTableOf([ordered.route, unordered.route]);
    const routes = ingestConfig(
      { stack: configDocumentOf(template, idOf(stack.ingest.ingestFunction)).stack },
      table,
    ).routes;

    // Assess
    expect(routes.find((route) => route.name === ordered.route.name)?.ordering).toEqual(
      ORDERED_ROUTE.ordering,
    );
    expect(routes.find((route) => route.name === unordered.route.name)?.ordering).toBeUndefined();
  });

  it('lets the ordered ingest read its key counter and claim slots in the failover table, nothing more there', () => {
    // Act
    const ingest = stack.ingest.ingestFunction;
    const roleId = idOf(ingest.role ?? ingest);
    const table = idOf(stack.failoverTable);
    const statements = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
      .flatMap(
        (p) =>
          (
            p.Properties.PolicyDocument as {
              Statement: Array<{ Action: string | string[]; Resource: unknown }>;
            }
          ).Statement,
      );
    const onFailoverTable = statements
      .filter((st) => JSON.stringify(st.Resource).includes(table))
      .flatMap((st) => [st.Action].flat());

    // Assess
    expect([...new Set(onFailoverTable)].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('fails for an ordered route whose attempts times batch size exceed what SQS can count', () => {
    // Act / Assess
    expect(() => parseRoute({ ...ORDERED_ROUTE, maxAttempts: 101, batchSize: 10 })).toThrow(
      /ordering: an ordered route needs maxAttempts x batchSize <= 1000.*got 101 x 10/,
    );
  });
});
