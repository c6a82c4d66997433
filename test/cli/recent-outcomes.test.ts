import { randomUUID } from 'node:crypto';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { StackTarget } from '../../cli/stack/stack-target.js';
import { provisionRouteQueues, provisionTables } from '../../local/provision.js';
import {
  awsClientConfig,
  createDocumentClient,
  createDynamoDbClient,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import type { MessageEnvelope } from '../../shared/envelope.js';
import { fingerprintOf } from '../../shared/message-record.js';
import {
  METRIC,
  METRICS_NAMESPACE,
  ROUTE_DIMENSION,
  SERVICE,
  SERVICE_DIMENSION,
} from '../../shared/metrics.js';
import { createCliFixture } from './cli-fixture.js';
import { type EmulatedRoute, openEmulatedDeployedStack } from './emulated-deployed-stack.js';

/**
 * The last hour's delivered and dead-lettered counts per route that the console's routes page
 * shows: read from the forwarders' CloudWatch metrics on a deployed stack (moto's CloudWatch), and
 * from the status records of the message table on the local stack.
 */
describe('recent outcomes of each route', () => {
  const endpoint = inject('awsEndpoint');
  const HOUR = 3600;

  describe('deployed stack: CloudWatch metrics', () => {
    let stack: StackTarget;
    let cloudFormation: Awaited<ReturnType<typeof openEmulatedDeployedStack>>['cloudFormation'];
    const cloudWatch = new CloudWatchClient(awsClientConfig({ endpoint, region: 'us-east-1' }));
    // Names of their own: moto's CloudWatch keeps every test's metrics.
    const names = [`a${randomUUID().slice(0, 6)}`, `b${randomUUID().slice(0, 6)}`];

    /** One EMF data point of the forwarder, as CloudWatch stores it. */
    const put = (
      route: string,
      metric: string,
      value: number,
      minutesAgo: number,
      service: string = SERVICE.FORWARDER,
    ) =>
      cloudWatch.send(
        new PutMetricDataCommand({
          Namespace: METRICS_NAMESPACE,
          MetricData: [
            {
              MetricName: metric,
              Value: value,
              Unit: 'Count',
              Timestamp: new Date(Date.now() - minutesAgo * 60_000),
              Dimensions: [
                { Name: SERVICE_DIMENSION, Value: service },
                { Name: ROUTE_DIMENSION, Value: route },
              ],
            },
          ],
        }),
      );

    beforeEach(async () => {
      const prefix = `cli-${randomUUID().slice(0, 8)}`;
      const env = { AWS_ENDPOINT_URL: endpoint, LOCAL_PREFIX: prefix };
      const tables = await provisionTables(createDynamoDbClient({ endpoint }), prefix);
      const sqs = createSqsClient({ endpoint });
      const [route] = loadDeliveryConfig(env).routes;
      if (!route) throw new Error('no default route');
      const routes: EmulatedRoute[] = [];
      for (const name of names)
        routes.push({ name, ...(await provisionRouteQueues(sqs, prefix, { ...route, name })) });
      ({ stack, cloudFormation } = await openEmulatedDeployedStack(tables, routes));
    });

    afterEach(() => cloudFormation.restore());

    it("sums each route's Delivered and DeadLettered of the last hour", async () => {
      // Prepare
      const [first = '', second = ''] = names;
      await Promise.all([
        put(first, METRIC.DELIVERED, 3, 5),
        put(first, METRIC.DELIVERED, 2, 40),
        put(first, METRIC.DEAD_LETTERED, 1, 10),
        // Older than the hour, and another function's metric of the same name: not counted.
        put(first, METRIC.DELIVERED, 100, 90),
        put(first, METRIC.DELIVERED, 50, 5, SERVICE.INGEST),
        put(second, METRIC.DEAD_LETTERED, 4, 20),
      ]);

      // Act
      const outcomes = await stack.recentOutcomes(stack.routes, HOUR);

      // Assess
      expect(outcomes.method).toBe('cloudwatch');
      expect(Object.fromEntries(outcomes.byRoute)).toEqual({
        [first]: { delivered: 5, deadLettered: 1 },
        [second]: { delivered: 0, deadLettered: 4 },
      });
    });
  });

  describe('local stack: status records', () => {
    let fixture: Awaited<ReturnType<typeof createCliFixture>>;

    beforeEach(async () => {
      fixture = await createCliFixture();
    });

    /** A record written by the real adapter, its times those of a clock set `minutesAgo` back. */
    async function record(
      id: string,
      outcome: 'delivered' | 'dead-lettered',
      minutesAgo: number,
      route = fixture.route.name,
    ) {
      const at = new Date(Date.now() - minutesAgo * 60_000);
      const records = new DynamoDbMessageRecords(
        createDocumentClient(createDynamoDbClient({ endpoint })),
        fixture.tables.messageTable,
        86_400,
        { now: () => at },
      );
      const envelope: MessageEnvelope = {
        id,
        route,
        body: '{}',
        contentType: 'application/json',
        receivedAt: at.toISOString(),
        priorAttempts: 0,
      };
      const fingerprint = fingerprintOf(envelope);
      await records.claim(envelope, fingerprint);
      await records.recordAttempt({
        envelope,
        fingerprint,
        entry: {
          attempt: 1,
          at: at.toISOString(),
          durationMs: 5,
          status: outcome === 'delivered' ? 200 : 400,
        },
        outcome:
          outcome === 'delivered'
            ? { kind: 'delivered' }
            : { kind: 'dead-lettered', reason: 'backend answered 400' },
      });
    }

    it('counts the records delivered and dead-lettered in the last hour, per route', async () => {
      // Prepare
      await Promise.all([
        record('d1', 'delivered', 1),
        record('d2', 'delivered', 59),
        record('x1', 'dead-lettered', 30),
        // Before the hour, and a route this stack does not have: not counted.
        record('d3', 'delivered', 61),
        record('x2', 'dead-lettered', 120),
        record('o1', 'delivered', 1, 'other'),
      ]);

      // Act
      const outcomes = await fixture.stack.recentOutcomes(fixture.stack.routes, HOUR);

      // Assess
      expect(outcomes).toMatchObject({ method: 'status-records', windowSeconds: HOUR });
      expect(outcomes.partial).toBeUndefined();
      expect(Object.fromEntries(outcomes.byRoute)).toEqual({
        [fixture.route.name]: { delivered: 2, deadLettered: 1 },
      });
    });
  });
});
