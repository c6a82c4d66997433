import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { createDynamoDbClient, createSqsClient } from '../../shared/aws/clients.js';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { waitFor } from '../scenarios/runner-process.js';
import { failoverIds } from '../support/failover-items.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import {
  ClientLedger,
  deliveredIds as deliveredOf,
  postMessage,
  queueDepth,
  readAllIds,
  reconcile,
  reconciliationLine,
  waitUntilDelivered,
} from './chaos-support.js';

/**
 * Classes of fault that once broke a promise, kept in the chaos suite so they stay fixed: large bodies
 * (each under the route's 250,000-byte limit, several together over SQS's 1 MiB a batch) through the
 * failover table and through the DLQ, and an Idempotency-Key reused with another body. The local stack
 * runs in-process with a fault proxy in front of SQS; every id answered 202 must end delivered once.
 */

/** Six large bodies and twelve small ones: ten per SendMessageBatch would be about 1.4 MB. */
const LARGE = 6;
const SMALL = 12;
/** A body this large, JSON included: under maxBodyBytes (250,000), near SQS's 256 KiB a message. */
const LARGE_BYTES = 240_000;
/** How long the stores may take to deliver everything after the fault ends. */
const SETTLE_MS = 30_000;

describe('chaos: large bodies and key reuse', () => {
  const endpoint = inject('awsEndpoint');
  const runId = randomUUID().slice(0, 8);
  const direct = { sqs: createSqsClient({ endpoint }), dynamoDb: createDynamoDbClient({ endpoint }) };
  const backend = new LoopbackBackend();
  let sqsProxy: FaultProxy;
  let stack: LocalStack;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const backendUrl = await backend.start();
    sqsProxy = await FaultProxy.start({ target: endpoint, service: 'sqs' });
    stack = await startLocalStack({
      env: {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ENDPOINT_URL_SQS: sqsProxy.url,
        CATERING_SERVICE_EP: backendUrl,
        LOCAL_PREFIX: `chaos-dc-${runId}`,
        PORT: '0',
        MAX_ATTEMPTS: '3',
        RETRY_BASE_SECONDS: '1',
        RETRY_MAX_SECONDS: '2',
        DRAIN_INTERVAL_SECONDS: '1',
      },
      sink: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await sqsProxy?.stop();
    await backend.stop();
    direct.sqs.destroy();
    direct.dynamoDb.destroy();
  }, 60_000);

  const queues = () => {
    const route = stack.routes[0];
    if (!route) throw new Error('the local stack has no route');
    return route.queues;
  };

  const post = (body: unknown, key?: string) => postMessage(stack.apiUrl, JSON.stringify(body), key);

  /** The large bodies, then the small ones (oldest first: the first batch of ten holds all six large), each answered 202. */
  const sendMixed = async (ledger: ClientLedger, label: string, from = 0, to = LARGE + SMALL) => {
    for (let i = from; i < to; i++) {
      const large = i < LARGE;
      const body = { passengerId: `${label}-${i}`, train: 'RLC-5051', notes: large ? '' : 'small' };
      if (large) body.notes = 'n'.repeat(LARGE_BYTES - JSON.stringify(body).length);
      const answer = await post(body);
      if (answer.status !== 202 || !answer.messageId)
        ledger.unexpected.push(`${label}-${i}: ${answer.status}`);
      else {
        ledger.accepted.add(answer.messageId);
        if (answer.store) ledger.stores[answer.store]++;
      }
    }
  };

  const deliveredIds = () => deliveredOf(backend);

  /** Waits until every accepted id was delivered (or SETTLE_MS), then reconciles with the stores. */
  const settleAndReconcile = async (ledger: ClientLedger) => {
    await waitUntilDelivered(ledger, backend, SETTLE_MS);
    await sleep(1_000); // a second copy, if one were coming, has its chance to arrive
    return reconcile({
      ledger,
      deliveries: deliveredIds().filter((id) => ledger.accepted.has(id)),
      deadLetterIds: await readAllIds(direct.sqs, queues().dlqUrl, 2),
      failoverIds: await failoverIds(direct.dynamoDb, stack.tables.failoverTable),
      queuedIds: await readAllIds(direct.sqs, queues().queueUrl, 2),
      ambiguous: new Set(),
    });
  };

  it('delivers large bodies mixed with small ones parked through an SQS outage, each once, after the drain', async () => {
    // Prepare: SQS refuses connections, so every message is parked in the failover table
    const ledger = new ClientLedger();
    await sqsProxy.setMode('refuse');

    // Act
    await sendMixed(ledger, 'fo');
    await sqsProxy.setMode('pass');
    const result = await settleAndReconcile(ledger);

    // Assess
    console.log(
      `large bodies through failover: accepted ${result.accepted} (${LARGE} large, ${SMALL} small; ` +
        `failover ${ledger.stores.failover}), ${reconciliationLine(result)}`,
    );
    expect(ledger.unexpected).toEqual([]);
    expect(ledger.stores.failover).toBe(LARGE + SMALL);
    expect(result.lost).toEqual([]);
    expect(result.delivered).toBe(LARGE + SMALL);
    expect(result.duplicateDeliveries).toBe(0);
    expect(result.inFailover).toBe(0);
  }, 90_000);

  it('delivers large bodies mixed with small ones dead-lettered while the backend failed, each once, after a redrive', async () => {
    // Prepare: the backend fails every attempt until all of them are in the DLQ
    const ledger = new ClientLedger();
    const before = deliveredIds().length;
    backend.fallback = { status: 500 };
    // The large ones dead-lettered first, so the redrive's first receive of ten holds all six.
    await sendMixed(ledger, 'dl', 0, LARGE);
    await waitFor(
      () => queueDepth(direct.sqs, queues().dlqUrl),
      (n) => n >= LARGE,
      SETTLE_MS,
    );
    await sendMixed(ledger, 'dl', LARGE);
    const parked = await waitFor(
      () => queueDepth(direct.sqs, queues().dlqUrl),
      (n) => n >= LARGE + SMALL,
      SETTLE_MS,
    );
    await waitFor(
      () => queueDepth(direct.sqs, queues().queueUrl),
      (n) => n === 0,
      SETTLE_MS,
    );
    const failedAttempts = deliveredIds().length - before;
    backend.requests.splice(0); // only the attempts after the redrive count as deliveries
    backend.fallback = { status: 200 };

    // Act: the shared redrive function (the `gd redrive` fallback)
    const redrive = await redriveDeadLetters(direct.sqs, {
      dlqUrl: queues().dlqUrl,
      queueUrl: queues().queueUrl,
    });
    const result = await settleAndReconcile(ledger);

    // Assess
    console.log(
      `large bodies through DLQ + redrive: accepted ${result.accepted} (${LARGE} large, ${SMALL} small), ` +
        `dead-lettered first ${parked} after ${failedAttempts} failed attempts, redrive ${JSON.stringify(redrive)}, ` +
        reconciliationLine(result),
    );
    expect(ledger.unexpected).toEqual([]);
    expect(parked).toBe(LARGE + SMALL);
    expect(redrive).toMatchObject({ moved: LARGE + SMALL, failed: 0, refused: 0 });
    expect(result.lost).toEqual([]);
    expect(result.delivered).toBe(LARGE + SMALL);
    expect(result.duplicateDeliveries).toBe(0);
    expect(result.deadLettered).toBe(0);
  }, 90_000);

  it('answers 409 to a key reused with another body on the queue path, the failover path and after delivery, and delivers only the first body', async () => {
    // Prepare
    const ledger = new ClientLedger();
    const first = (path: string) => ({ passengerId: `first-${path}`, train: 'RLC-5051', class: 'first' });
    const other = (path: string) => ({ passengerId: `other-${path}`, train: 'RLC-5051', class: 'second' });
    const keys = { queue: `reuse-q-${runId}`, failover: `reuse-f-${runId}`, delivered: `reuse-d-${runId}` };
    const statuses: Record<keyof typeof keys, number[]> = { queue: [], failover: [], delivered: [] };
    const send = async (path: keyof typeof keys, body: unknown) => {
      const answer = await post(body, keys[path]);
      statuses[path].push(answer.status);
      if (answer.status === 202 && answer.messageId) ledger.accepted.add(answer.messageId);
      return answer;
    };

    // Act: queue path (A, then B at once, then A again: one message)
    const queued = await send('queue', first('queue'));
    await send('queue', other('queue'));
    const again = await send('queue', first('queue'));
    // failover path (SQS refusing connections)
    await sqsProxy.setMode('refuse');
    const parked = await send('failover', first('failover'));
    await send('failover', other('failover'));
    await sqsProxy.setMode('pass');
    // after A was delivered
    await send('delivered', first('delivered'));
    await waitFor(
      () => deliveredIds(),
      (ids) => ids.includes(keys.delivered),
      SETTLE_MS,
    );
    await send('delivered', other('delivered'));
    const result = await settleAndReconcile(ledger);

    // Assess
    const bodies = backend.requests.filter((r) => ledger.accepted.has(String(r.headers['idempotency-key'])));
    const refusedDelivered = bodies.filter((r) => r.body.includes('"other-')).length;
    console.log(
      `key reuse: accepted ${result.accepted}, answers ${JSON.stringify(statuses)}, ` +
        `other bodies delivered ${refusedDelivered}, ${reconciliationLine(result)}`,
    );
    expect(statuses).toEqual({ queue: [202, 409, 202], failover: [202, 409], delivered: [202, 409] });
    expect(again.messageId).toBe(queued.messageId);
    expect(parked.store).toBe('failover');
    expect(result.accepted).toBe(3);
    expect(result.lost).toEqual([]);
    expect(result.delivered).toBe(3);
    expect(result.duplicateDeliveries).toBe(0);
    expect(result.deadLettered).toBe(0);
    expect(refusedDelivered).toBe(0);
    expect(bodies.map((r) => JSON.parse(r.body).passengerId).sort()).toEqual([
      'first-delivered',
      'first-failover',
      'first-queue',
    ]);
  }, 90_000);
});
