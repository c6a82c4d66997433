import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { collectStatus, type RouteStatus } from '../../cli/commands/status.js';
import { memoryOutput } from '../../cli/output.js';
import { openLocalStack } from '../../cli/stack/local-stack.js';
import { provisionPayloadBucket, provisionRouteQueues, provisionTables } from '../../local/provision.js';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { S3PayloadStore } from '../../shared/aws/s3-payload-store.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { ATTR, type DeadLetterInfo, type MessageEnvelope } from '../../shared/envelope.js';
import { payloadKey, referenceBody, sha256Hex } from '../../shared/payloads.js';

/**
 * A local stack for the CLI on the test emulator: the default route's queues and the tables,
 * provisioned as `npm start` does under a unique LOCAL_PREFIX, plus the environment that points
 * `gd` at them and helpers to put messages where an operator would find them.
 */
export async function createCliFixture() {
  const endpoint = inject('awsEndpoint');
  const prefix = `cli-${randomUUID().slice(0, 8)}`;
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    LOCAL_PREFIX: prefix,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  const [route] = loadDeliveryConfig(env).routes;
  if (!route) throw new Error('no default route');
  const sqs = createSqsClient({ endpoint });
  const dynamoDb = createDynamoDbClient({ endpoint });
  const queues = await provisionRouteQueues(sqs, prefix, route);
  const tables = await provisionTables(dynamoDb, prefix);
  const payloads = new S3PayloadStore(
    createS3Client({ endpoint }),
    await provisionPayloadBucket(createS3Client({ endpoint }), prefix),
  );
  const stack = await openLocalStack(env);

  const envelope = (id: string): MessageEnvelope => ({
    id,
    route: route.name,
    body: JSON.stringify({ passengerId: id, train: 'RLC-5051' }),
    contentType: 'application/json',
    receivedAt: new Date().toISOString(),
    priorAttempts: 0,
  });

  return {
    env,
    prefix,
    route,
    queues,
    tables,
    sqs,
    stack,
    /** A message waiting on the delivery queue. */
    enqueue: (id: string) => new SqsMessageQueue(sqs, queues.queueUrl).send(envelope(id)),
    /** A dead letter as the forwarder writes it: with its reason, attempts and last status. */
    deadLetter: (id: string, info: DeadLetterInfo) =>
      new SqsMessageQueue(sqs, queues.dlqUrl).send(envelope(id), info),
    /** A dead letter whose body went by claim check: the object in the payload bucket, the reference queued. */
    async largeDeadLetter(id: string, body: string, info: DeadLetterInfo) {
      const sha256 = sha256Hex(body);
      const reference = { key: payloadKey(route.name, id, sha256), size: Buffer.byteLength(body), sha256 };
      await payloads.put(reference, body, 'application/json');
      await new SqsMessageQueue(sqs, queues.dlqUrl).send(
        { ...envelope(id), body: referenceBody(reference) },
        info,
      );
      return reference;
    },
    /** A message parked in the failover table. */
    failover: (id: string) =>
      new DynamoDbFailoverStore(createDocumentClient(dynamoDb), tables.failoverTable).put(envelope(id)),
    /** The default route's status, read as `gd status --json` reads it. */
    async status(): Promise<RouteStatus> {
      const status = await collectStatus(stack, { json: true, peek: false });
      const [only] = status.routes;
      if (!only) throw new Error('no route in status');
      return only;
    },
    /** Message ids on the delivery queue (each made visible again at once). */
    async queuedIds(): Promise<string[]> {
      const output = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queues.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageAttributeNames: ['All'],
        }),
      );
      return (output.Messages ?? []).map(
        (message) => message.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? '',
      );
    },
    /** Runs `gd` in-process, with this fixture's environment. */
    async run(argv: readonly string[]) {
      const memory = memoryOutput();
      const code = await runCli(argv, { env, output: memory.output });
      return { code, out: memory.stdout(), err: memory.lines.err.join('\n'), json: memory.json };
    },
  };
}

export type CliFixture = Awaited<ReturnType<typeof createCliFixture>>;
