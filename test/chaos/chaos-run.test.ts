import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Message, ReceiveMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { drainFailover } from '../../functions/drainer/drain-failover.js';
import { createDrainerDeps } from '../../functions/drainer/drainer-config.js';
import { createForwarderDeps } from '../../functions/forwarder/forwarder-config.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import { lambdaContext, sqsEvent } from '../../local/aws-events.js';
import { localFunctionConfigs } from '../../local/local-functions.js';
import { type LocalStack, startLocalStack } from '../../local/runner.js';
import { createDynamoDbClient, createSqsClient, FAST_FAILOVER_TIMEOUTS } from '../../shared/aws/clients.js';
import type { FailoverItem, FailoverStore, RecordKey } from '../../shared/ports.js';
import { failoverIds } from '../support/failover-items.js';
import { type FaultMode, FaultProxy } from '../support/fault-proxy.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import {
  AmbiguousWrites,
  ClientLedger,
  postMessage,
  queueDepth,
  readAllIds,
  reconcile,
  reconciliationLine,
  SqsTrace,
} from './chaos-support.js';

/**
 * The chaos run (promises 1-3 of docs/http-contract.md under faults): the local stack in-process with fault
 * proxies in front of SQS, DynamoDB and the backend; a bounded, paced, concurrent stream of messages
 * (most with a client Idempotency-Key, resent after a 503 and sometimes at random); faults switched in
 * turn; a forwarder and a drainer stopped between their side effects. At the end every id answered
 * 202 is looked for in the backend's deliveries, the DLQ and the failover table.
 *
 * Size: CHAOS_MESSAGES (default 300, the CI size; e.g. 3000 locally). Phase length: CHAOS_PHASE_MS
 * (default max(3000, 4 ms per message)).
 */

const MESSAGES = positiveInt(process.env.CHAOS_MESSAGES, 300);
const PHASE_MS = positiveInt(process.env.CHAOS_PHASE_MS, Math.max(3_000, MESSAGES * 4));
/** Requests in flight at once from the clients. */
const CONCURRENCY = 8;
/** Share of messages sent with the client's own Idempotency-Key (the others get a server UUID). */
const KEYED_SHARE = 0.7;
/** Resends of a keyed message after a 503 before the client gives up (for half of them; the rest give up at once). */
const RETRIES_AFTER_503 = 3;
/** How long, after the faults end, the stores may take to settle. */
const QUIET_TIMEOUT_MS = Math.max(90_000, MESSAGES * 120);
/** Phases in the fault schedule (see runFaults). */
const PHASES = 20;
/** Delivery queue visibility timeout during the run (see beforeAll). */
const VISIBILITY_SECONDS = 8;

function positiveInt(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw && Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Seeded so a failing run can be repeated (CHAOS_SEED). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A real DynamoDB failover store whose delete fails once: the drainer "dies" after SQS took the batch. */
class DeleteFailsOnce implements FailoverStore {
  failed = false;
  /** Items SQS took whose delete was "lost" with the drainer. */
  undeleted = 0;
  constructor(private readonly store: FailoverStore) {}
  put(envelope: FailoverItem['envelope']) {
    return this.store.put(envelope);
  }
  get(key: RecordKey) {
    return this.store.get(key);
  }
  oldest(pageSize: number) {
    return this.store.oldest(pageSize);
  }
  async delete(items: readonly FailoverItem[]) {
    if (!this.failed) {
      this.failed = true;
      this.undeleted = items.length;
      throw new Error(`chaos: drainer stopped after SendMessageBatch, before deleting ${items.length} items`);
    }
    return this.store.delete(items);
  }
  acquireLease(owner: string, seconds: number) {
    return this.store.acquireLease(owner, seconds);
  }
  releaseLease(owner: string) {
    return this.store.releaseLease(owner);
  }
}

/** A store's answer this late may land after the ingest's SDK timeout fired (see the proxy option). */
const LATE_ANSWER_MS = FAST_FAILOVER_TIMEOUTS.requestTimeoutMs - 150;

describe(`chaos run (${MESSAGES} messages, ${PHASE_MS} ms phases)`, () => {
  const endpoint = inject('awsEndpoint');
  const seed = positiveInt(process.env.CHAOS_SEED, Date.now() % 1_000_000);
  const rand = random(seed);
  const runId = randomUUID().slice(0, 8);
  const direct = { sqs: createSqsClient({ endpoint }), dynamoDb: createDynamoDbClient({ endpoint }) };
  const backend = new LoopbackBackend();
  const ambiguous = new AmbiguousWrites();
  const trace = new SqsTrace();
  const ledger = new ClientLedger();
  const lines: string[] = [];
  const simulated = { forwarderRecordsUnacknowledged: 0, drainerItemsUndeleted: 0 };
  const modesUsed = new Set<string>();
  let sent = 0;
  let sqsProxy: FaultProxy;
  let dynamoDbProxy: FaultProxy;
  let backendProxy: FaultProxy;
  let stack: LocalStack;

  beforeAll(async () => {
    // The functions' EMF metrics print to stdout in the JSON log format; they are not under test here.
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const backendUrl = new URL(await backend.start());
    sqsProxy = await FaultProxy.start({
      target: endpoint,
      service: 'sqs',
      onAmbiguous: ambiguous.fromSqs,
      ambiguousAfterMs: LATE_ANSWER_MS,
      inspectAnswer: trace.onAnswer,
    });
    dynamoDbProxy = await FaultProxy.start({
      target: endpoint,
      service: 'dynamodb',
      onAmbiguous: ambiguous.fromDynamoDb,
      ambiguousAfterMs: LATE_ANSWER_MS,
    });
    backendProxy = await FaultProxy.start({ target: backendUrl.origin, service: 'http' });
    stack = await startLocalStack({
      env: {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ENDPOINT_URL_SQS: sqsProxy.url,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoDbProxy.url,
        CATERING_SERVICE_EP: `${backendProxy.url}/catering`,
        LOCAL_PREFIX: `chaos-${runId}`,
        PORT: '0',
        MAX_ATTEMPTS: '3',
        RETRY_BASE_SECONDS: '1',
        RETRY_MAX_SECONDS: '2',
        DRAIN_INTERVAL_SECONDS: '1',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        LOG_FORMAT: 'json',
      },
      // JSON records keep whole ids, so a lost id's journey can be shown (bounded: a few per message).
      sink: (line) => {
        if (lines.length < MESSAGES * 40) lines.push(line);
      },
    });
    // The stack's visibility timeout is 6 x the forwarder timeout (180 s), for Lambda's own invoke
    // retries. Records stranded by an SQS outage (their delete or retry delay failed) come back only
    // after it: the same on AWS, compressed here so the run ends within its bound.
    await direct.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: stack.routes[0]?.queues.queueUrl,
        Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([sqsProxy?.stop(), dynamoDbProxy?.stop(), backendProxy?.stop()]);
    await backend.stop();
    direct.sqs.destroy();
    direct.dynamoDb.destroy();
  }, 60_000);

  /** The route's functions' configurations, as the runner builds them. */
  const configs = () => {
    const route = stack.routes[0];
    if (!route) throw new Error('the local stack has no route');
    return {
      route: route.config,
      ...localFunctionConfigs({
        prefix: stack.prefix,
        queueUrl: route.queues.queueUrl,
        tables: stack.tables,
        routes: [route.config],
      }),
    };
  };

  /** One POST to the default route; undefined when no answer came (recorded as unexpected). */
  const post = async (index: number, body: string, key: string | undefined) => {
    try {
      return await postMessage(stack.apiUrl, body, key);
    } catch (error) {
      ledger.unexpected.push(`message ${index}: no answer (${String(error)})`);
      return undefined;
    }
  };

  /** Records an answer; true when it was a 202. */
  const record = (index: number, key: string | undefined, answer: Awaited<ReturnType<typeof post>>) => {
    if (!answer) return false;
    if (answer.status === 202 && answer.messageId) {
      ledger.accepted.add(answer.messageId);
      if (answer.store) ledger.stores[answer.store]++;
      return true;
    }
    if (answer.status !== 503) ledger.unexpected.push(`message ${index}: ${JSON.stringify(answer)}`);
    else if (key) ledger.rejected.add(key);
    else ledger.anonymousRejections++;
    return false;
  };

  /** One client: POST; on a 503 resend with the same key (bounded), and now and then after a 202 too. */
  const sendOne = async (index: number) => {
    const key = rand() < KEYED_SHARE ? `chaos-${runId}-${index}` : undefined;
    const body = JSON.stringify({ passengerId: `p-${index}`, train: 'RLC-5051', class: 'first', run: runId });
    // Half the keyed clients give up after one 503: their ids must then never be delivered.
    const retries = key && rand() < 0.5 ? RETRIES_AFTER_503 : 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        // Retry-After says 5 s; a test client waits less so the run stays short.
        await sleep(700);
        ledger.keyedRetries++;
      }
      const answer = await post(index, body, key);
      if (record(index, key, answer)) {
        // A client that did not trust the answer: the same key once more, one message all the same.
        if (key && rand() < 0.05) {
          ledger.keyedRetries++;
          record(index, key, await post(index, body, key));
        }
        return;
      }
      if (answer?.status !== 503 || !key) return;
    }
  };

  /** Sends MESSAGES messages, paced over `spanMs`, at most CONCURRENCY at once. */
  const sendAll = async (spanMs: number) => {
    const started = Date.now();
    const running = new Set<Promise<void>>();
    for (let i = 0; i < MESSAGES; i++) {
      // Bounded in time too: on a loaded machine the rest is left unsent rather than run late.
      if (Date.now() > started + spanMs + 2 * PHASE_MS) break;
      sent++;
      const due = started + (i * spanMs) / MESSAGES;
      if (due > Date.now()) await sleep(due - Date.now());
      while (running.size >= CONCURRENCY) await Promise.race(running);
      const sending = sendOne(i).finally(() => running.delete(sending));
      running.add(sending);
    }
    await Promise.all(running);
  };

  /** A forwarder that delivers a batch and dies before the mapping deletes it (nothing acknowledged). */
  const forwarderStopsBeforeAcknowledging = async () => {
    const route = stack.routes[0];
    if (!route) return;
    const deps = createForwarderDeps(configs().forwarder(configs().route), {
      sqsEndpoint: endpoint,
      dynamoDbEndpoint: endpoint,
      logger: stack.log.logger('forwarder'),
    });
    const handler = createForwarderHandler(deps);
    // The runner's own forwarder competes for the same messages: a few tries to get some.
    let messages: Message[] = [];
    for (let tries = 0; tries < 5 && messages.length === 0; tries++) {
      const received = await direct.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: route.queues.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          // Back in the queue soon after, as when the dead forwarder's visibility timeout ends.
          VisibilityTimeout: 3,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      messages = received.Messages ?? [];
    }
    if (messages.length === 0) return;
    // Act as the real function would, then throw its batch response away: nothing is deleted.
    await handler(sqsEvent(messages, route.queues.queueArn), lambdaContext('chaos-forwarder', 30_000));
    simulated.forwarderRecordsUnacknowledged += messages.length;
  };

  /** A drainer that sends a batch to SQS and dies before deleting the failover items. */
  const drainerStopsBeforeDeleting = async () => {
    const config = configs().drainer;
    // SQS straight to the emulator: the runner's SQS is the one "down" during this step.
    const deps = createDrainerDeps(config, {
      sqsEndpoint: endpoint,
      dynamoDbEndpoint: endpoint,
      logger: stack.log.logger('drainer'),
    });
    const failover = new DeleteFailsOnce(deps.failover);
    const deadline = Date.now() + 5_000;
    while (!failover.failed && Date.now() < deadline) {
      const items = await failoverIds(direct.dynamoDb, stack.tables.failoverTable);
      if (items.length > 0) {
        try {
          await drainFailover(
            { ...deps, failover },
            { deadline: Date.now() + 5_000, owner: `chaos-drainer-${runId}`, leaseSeconds: 10, pageSize: 10 },
          );
        } catch {
          // The injected stop: the items SQS took are still in the table.
          simulated.drainerItemsUndeleted += failover.undeleted;
        }
      }
      if (!failover.failed) await sleep(200); // the runner's drainer holds the lease: try again
    }
  };

  /** The fault schedule: each step sets the three proxies, then holds for a phase. */
  const runFaults = async () => {
    type Step = {
      name: string;
      sqs?: FaultMode;
      dynamoDb?: FaultMode;
      backend?: FaultMode;
      phases?: number;
      during?: () => Promise<void>;
    };
    const steps: Step[] = [
      { name: 'all pass (warm-up)' },
      { name: 'SQS refusing', sqs: 'refuse', during: drainerStopsBeforeDeleting },
      { name: 'SQS silent', sqs: 'silent' },
      { name: 'recovered', during: forwarderStopsBeforeAcknowledging },
      { name: 'DynamoDB refusing', dynamoDb: 'refuse' },
      { name: 'DynamoDB throttling', dynamoDb: 'throttle' },
      { name: 'both down (SQS refusing, DynamoDB silent)', sqs: 'refuse', dynamoDb: 'silent' },
      { name: 'recovered' },
      { name: 'SQS throttling', sqs: 'throttle' },
      { name: 'SQS answering 500', sqs: 'http500', dynamoDb: 'latency' },
      // Only while DynamoDB is up: a cut SendMessage then becomes a failover write, not a 503.
      { name: 'SQS drop-mid-response', sqs: 'drop-mid-response' },
      // A pause, so no cut SendMessage is still failing over when DynamoDB goes down next.
      { name: 'recovered', during: forwarderStopsBeforeAcknowledging },
      { name: 'backend failing (500)', backend: 'http500' },
      { name: 'backend slow, SQS slow', backend: 'latency', sqs: 'latency' },
      { name: 'backend throttling (429)', backend: 'throttle' },
      // Longer than MAX_ATTEMPTS x backoff: what is being delivered goes to the DLQ.
      { name: 'backend down past max attempts', backend: 'refuse', phases: 2 },
      { name: 'DynamoDB answering 500', dynamoDb: 'http500' },
      { name: 'backend silent', backend: 'silent' },
      { name: 'recovered' },
    ];
    for (const step of steps) {
      await Promise.all([
        sqsProxy.setMode(step.sqs ?? 'pass', { latencyMs: 200 }),
        dynamoDbProxy.setMode(step.dynamoDb ?? 'pass', { latencyMs: 150 }),
        backendProxy.setMode(step.backend ?? 'pass', { latencyMs: 300 }),
      ]);
      for (const mode of [step.sqs, step.dynamoDb, step.backend]) if (mode) modesUsed.add(mode);
      const holdUntil = Date.now() + PHASE_MS * (step.phases ?? 1);
      if (step.during)
        await step.during().catch((error: unknown) => lines.push(`chaos step failed: ${error}`));
      if (holdUntil > Date.now()) await sleep(holdUntil - Date.now());
    }
    await Promise.all([
      sqsProxy.setMode('pass'),
      dynamoDbProxy.setMode('pass'),
      backendProxy.setMode('pass'),
    ]);
  };

  /** Waits until the queue and failover table are empty and deliveries stopped changing. */
  const waitUntilQuiet = async () => {
    const route = stack.routes[0];
    if (!route) return false;
    const deadline = Date.now() + QUIET_TIMEOUT_MS;
    let calm = 0;
    let lastDeliveries = -1;
    while (Date.now() < deadline) {
      const depth = await queueDepth(direct.sqs, route.queues.queueUrl);
      const parked = (await failoverIds(direct.dynamoDb, stack.tables.failoverTable)).length;
      const deliveries = backend.requests.length;
      calm = depth === 0 && parked === 0 && deliveries === lastDeliveries ? calm + 1 : 0;
      lastDeliveries = deliveries;
      if (calm >= 3) return true;
      await sleep(1_000);
    }
    return false;
  };

  it(
    'loses no accepted message and delivers no rejected one while faults come and go',
    async () => {
      // Prepare
      const spanMs = PHASE_MS * PHASES;
      const route = stack.routes[0];
      if (!route) throw new Error('the local stack has no route');

      // Act
      await Promise.all([sendAll(spanMs - PHASE_MS), runFaults()]);
      const quiet = await waitUntilQuiet();
      await stack.stop();
      // The delivery queue first: moto moves messages past maxReceiveCount to the DLQ only when they
      // are received again, so this read may still add dead letters.
      const queuedIds = await readAllIds(direct.sqs, route.queues.queueUrl);
      const deadLetterIds = await readAllIds(direct.sqs, route.queues.dlqUrl);
      const result = reconcile({
        ledger,
        deliveries: backend.requests
          .filter((request) => request.method === 'POST')
          .map((request) => String(request.headers['idempotency-key'])),
        deadLetterIds,
        failoverIds: await failoverIds(direct.dynamoDb, stack.tables.failoverTable),
        queuedIds,
        ambiguous: ambiguous.ids,
      });

      // Assess
      const line = reconciliationLine(result);
      console.log(
        [
          line,
          `503-then-delivered (ambiguous write) ${result.rejectedThenDeliveredAmbiguous.length}, ` +
            `503-then-delivered (unexplained) ${result.rejectedThenDelivered.length}`,
          `clients: ${sent} of ${MESSAGES} messages sent, 202 queue ${ledger.stores.queue} / failover ${ledger.stores.failover}, ` +
            `503 keyed ${ledger.rejected.size} (never 202: ${[...ledger.rejected].filter((id) => !ledger.accepted.has(id)).length}), ` +
            `503 anonymous ${ledger.anonymousRejections}, keyed resends ${ledger.keyedRetries}`,
          `simulated crashes: forwarder stopped before acknowledging ${simulated.forwarderRecordsUnacknowledged} records, ` +
            `drainer stopped before deleting ${simulated.drainerItemsUndeleted} items`,
          `ambiguous writes seen by the proxies ${ambiguous.ids.size}, delivered ids no client was told of: ` +
            `${result.unattributedAmbiguous} after an ambiguous write, ${result.unattributed.length} unexplained`,
          `fault modes: ${[...modesUsed].sort().join(', ')}; requests per mode: SQS ${JSON.stringify(sqsProxy.counts)}, ` +
            `DynamoDB ${JSON.stringify(dynamoDbProxy.counts)}, backend ${JSON.stringify(backendProxy.counts)}`,
          `seed ${seed}; settled: ${quiet}`,
        ].join('\n'),
      );
      const suspects = [...result.lost, ...result.rejectedThenDelivered, ...result.unattributed];
      if (suspects.length > 0 || ledger.unexpected.length > 0 || !quiet) {
        const journeys = lines.filter((l) => suspects.some((id) => l.includes(id)));
        console.log(`--- journeys of ${suspects.join(', ')} ---\n${journeys.join('\n')}`);
        for (const id of suspects)
          console.log(`--- SQS calls for ${id} ---\n${(trace.events.get(id) ?? []).join('\n')}`);
        console.log(`--- last runner lines ---\n${lines.slice(-40).join('\n')}`);
      }
      expect(ledger.unexpected).toEqual([]);
      expect(result.lost).toEqual([]);
      expect(result.rejectedThenDelivered).toEqual([]);
      expect(result.unattributed).toEqual([]);
      expect(result.inQueue).toBe(0);
      expect(quiet).toBe(true);
      expect(result.accepted).toBeGreaterThan(0);
      expect(result.delivered + result.deadLettered + result.inFailover).toBe(result.accepted);
    },
    PHASE_MS * PHASES * 1.5 + QUIET_TIMEOUT_MS + 120_000,
  );
});
