import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createForwarderDeps, forwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { forwarderDocument } from '../../shared/config/function-config.js';
import { DEFAULT_ROUTE, loadDeliveryConfig, type RouteConfig } from '../../shared/config/routes.js';
import { createMetrics, SERVICE } from '../../shared/metrics.js';
import { anEnvelope, anSqsRecord } from '../support/factories.js';
import { ScriptedBackend, silentLogger } from '../support/fakes.js';
import { grantsOf } from './grants.js';
import { idOf, ORDERS_ROUTE, synthStack, userEnv } from './synth.js';

/** The second route, ordered per `orderId` in the body. */
const ORDERED_ROUTE: RouteConfig = { ...ORDERS_ROUTE, ordering: { keyPointer: '/orderId' } };

/** The names the forwarder is given here, and the template resource each one stands for. */
const NAMES = {
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/TestDelivery_q_order-events.fifo',
  dlqUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/TestDelivery_dlq_order-events.fifo',
  messageTableName: 'messages',
  failoverTableName: 'failover',
};

/** The stack part of the forwarder's document, with the names above. */
const BINDINGS = {
  failoverTable: NAMES.failoverTableName,
  messageTable: NAMES.messageTableName,
  queues: { namePrefix: 'TestDelivery', urlBase: 'https://sqs.us-east-1.amazonaws.com/123456789012/' },
};

/** One AWS API call as it went over the wire: `service:Action` and the table or queue it named. */
interface RecordedCall {
  readonly action: string;
  readonly resource: string;
}

/**
 * A loopback stand-in for the DynamoDB and SQS JSON APIs: records each request's `X-Amz-Target`
 * (the API action, which is the IAM action) and the table or queue it names, and answers `{}`.
 */
async function recordingEndpoint(): Promise<{ url: string; calls: RecordedCall[]; server: Server }> {
  const calls: RecordedCall[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const [prefix = '', action = ''] = target.split('.');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        TableName?: string;
        RequestItems?: Record<string, unknown>;
        QueueUrl?: string;
      };
      calls.push({
        action: `${prefix.startsWith('DynamoDB') ? 'dynamodb' : 'sqs'}:${action}`,
        resource: body.TableName ?? Object.keys(body.RequestItems ?? {})[0] ?? body.QueueUrl ?? '',
      });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

describe("an ordered route's forwarder: what its code calls against what its role allows", () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let ordered: DeliveryRoute;
  let endpoint: Awaited<ReturnType<typeof recordingEndpoint>>;

  beforeAll(async () => {
    ({ stack, template } = synthStack({
      config: loadDeliveryConfig(userEnv(), [DEFAULT_ROUTE, ORDERED_ROUTE]),
    }));
    ordered = (stack.routes as DeliveryRoute[])[1] as DeliveryRoute;
    endpoint = await recordingEndpoint();
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await new Promise((resolve) => endpoint.server.close(resolve));
  });

  it('is granted every DynamoDB and SQS action the forwarder sends for a retried, a skipped and a last attempt', async () => {
    // Prepare: the real forwarder with the document the stack gives it, its AWS calls going to
    // the recording endpoint; the backend fails key k's messages and takes key j's.
    const deps = createForwarderDeps(forwarderConfig(forwarderDocument(BINDINGS, ORDERED_ROUTE)), {
      sqsEndpoint: endpoint.url,
      dynamoDbEndpoint: endpoint.url,
      logger: silentLogger(),
      backend: new ScriptedBackend((request) =>
        request.body.includes('"k"') ? { kind: 'answered', status: 503 } : { kind: 'answered', status: 200 },
      ),
    });
    // The EMF lines are for CloudWatch; here they would only bury the test output.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const handler = createForwarderHandler(deps, createMetrics(SERVICE.FORWARDER));
    const record = (id: string, key: string, receiveCount: number) =>
      anSqsRecord(
        anEnvelope({ id, route: ORDERED_ROUTE.name, orderingKey: key, body: `{"orderId":"${key}"}` }),
        {
          messageId: `sqs-${id}`,
          receiptHandle: `receipt-${id}`,
          receiveCount,
        },
      );
    const batches: SQSEvent[] = [
      // k-1 retried (its second receive: the skip count is read), k-2 skipped behind it, j-1 delivered.
      { Records: [record('k-1', 'k', 2), record('k-2', 'k', 1), record('j-1', 'j', 1)] },
      // k-1 on its last attempt (maxAttempts x batchSize receives): dead-lettered with its reason.
      { Records: [record('k-1', 'k', ORDERED_ROUTE.maxAttempts * ORDERED_ROUTE.batchSize)] },
    ];

    // Act
    for (const event of batches) await handler(event, {} as never);

    // Assess: each call names a resource of this route, and the role allows that action on it.
    const resourceIds: Record<string, string> = {
      [NAMES.messageTableName]: idOf(stack.messageTable),
      [NAMES.queueUrl]: idOf(ordered.queue),
      [NAMES.dlqUrl]: idOf(ordered.deadLetterQueue),
    };
    const called = [
      ...new Set(endpoint.calls.map((call) => `${call.action} on ${resourceIds[call.resource]}`)),
    ];
    const allowed = grantsOf(template, ordered.forwarderFunction);
    // The paths this test is about were taken: the skip count read and written, the DLQ written.
    expect(called).toEqual(
      expect.arrayContaining([
        `dynamodb:GetItem on ${idOf(stack.messageTable)}`,
        `dynamodb:UpdateItem on ${idOf(stack.messageTable)}`,
        `sqs:SendMessage on ${idOf(ordered.deadLetterQueue)}`,
        `sqs:ChangeMessageVisibility on ${idOf(ordered.queue)}`,
      ]),
    );
    expect(called.filter((call) => !allowed.includes(call))).toEqual([]);
  });
});
