import { setTimeout as sleep } from 'node:timers/promises';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  ResourceInUseException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { QueueTagSwitch } from '../../local/breaker-switch.js';
import { formatRecord, type LogRecord } from '../../local/journey-log.js';
import { BREAKER_TAG, CONCURRENCY_TAG } from '../../local/local-stack-contract.js';
import { DynamoDbBreakerStore } from '../../shared/aws/dynamodb-breaker-store.js';
import { EventSourceMappingSwitch } from '../../shared/aws/event-source-mapping-switch.js';
import { ATTR } from '../../shared/envelope.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { DeliverySwitch } from '../../shared/ports.js';
import { backendPerTest } from '../support/loopback-backend.js';
import { createTestRoute, type TestRoute, type TestRouteOptions } from '../support/test-route.js';

/**
 * The circuit breaker through the real forwarder handler and its probe, on the emulator's SQS and
 * DynamoDB, against a real backend on loopback. The switch is the local runner's queue tag unless a
 * test records the calls itself.
 */

const BREAKER = { failures: 3, probeSeconds: 1 };

const server = backendPerTest();

function breakerRoute(extra: Partial<TestRouteOptions> = {}) {
  return createTestRoute({
    target: server.target,
    route: { breaker: BREAKER, maxAttempts: 3, retry: { schedule: [1, 1] } },
    ...extra,
  });
}

async function breakerTag(route: TestRoute): Promise<string | undefined> {
  const output = await route.sqs.send(new ListQueueTagsCommand({ QueueUrl: route.queues.queueUrl }));
  return output.Tags?.[BREAKER_TAG];
}

/** Posts `count` messages and returns their ids. */
async function postMany(route: TestRoute, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await route.post({ passengerId: `p-${i}` });
    expect(answer.statusCode).toBe(202);
    ids.push(JSON.parse(answer.body).messageId);
  }
  return ids;
}

/** Every message of the delivery queue, waiting out delays and backoffs up to `ms`. */
async function drainQueueView(route: TestRoute, expected: number, ms = 6_000) {
  const deadline = Date.now() + ms;
  const seen = new Map<string, Awaited<ReturnType<TestRoute['visibleOnQueue']>>[number]>();
  while (seen.size < expected && Date.now() < deadline) {
    for (const message of await route.visibleOnQueue()) {
      seen.set(message.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? '', message);
    }
    await sleep(200);
  }
  return [...seen.values()];
}

/** Forwarder turns until the breaker opens (a receive may return fewer messages than are waiting). */
async function forwardUntilOpen(route: TestRoute, ms = 8_000) {
  const deadline = Date.now() + ms;
  while ((await route.breaker()).state === 'closed' && Date.now() < deadline) await route.forwardOnce();
  expect((await route.breaker()).state).toBe('open');
}

/**
 * Lambda's event source mapping as the breaker's switch on AWS meets it (no emulator models its
 * states): each update leaves it busy (Enabling, Disabling) for `busyMs`, and an update meanwhile is
 * refused with ResourceInUseException, as Lambda does.
 */
function busyMapping(busyMs: number) {
  const lambda = new LambdaClient({ region: 'us-east-1' });
  const state = { enabled: false, busyUntil: 0, refused: 0 };
  const mock = mockClient(lambda);
  mock.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'esm-1' }] });
  mock.on(UpdateEventSourceMappingCommand).callsFake((input: { Enabled?: boolean }) => {
    if (Date.now() < state.busyUntil) {
      state.refused++;
      throw new ResourceInUseException({ message: 'The resource is in use', $metadata: {} });
    }
    if (input.Enabled !== undefined) state.enabled = input.Enabled;
    state.busyUntil = Date.now() + busyMs;
    return { UUID: 'esm-1', State: input.Enabled === false ? 'Disabling' : 'Enabling' };
  });
  return { lambda, state };
}

describe('circuit breaker: opening', () => {
  it('opens once after `failures` consecutive failed attempts, stops the route (queue tag) and tries no more', async () => {
    // Prepare: the backend is down
    server.current.fallback = { status: 503 };
    const route = await breakerRoute();
    await postMany(route, 5);

    // Act: batches (a receive may return fewer than five) until it opens, every attempt answered 503
    await forwardUntilOpen(route);
    const triedBeforeOpen = server.current.requests.length;
    await sleep(1_100); // the backoff passes: the failed ones are visible again
    await route.forwardOnce(); // one more batch: held, not tried

    // Assess
    const breaker = await route.breaker();
    expect(breaker.state).toBe('open');
    expect(breaker.openedAt).toBeDefined();
    expect(await breakerTag(route)).toBe('open');
    const opened = route.logs.forwarder.entries().filter((entry) => entry.event === LOG_EVENT.BREAKER_OPENED);
    expect(opened).toHaveLength(1);
    // npm start's journey view words it from the record's fields. The count is the one its opener
    // saw: attempts of one batch run at once, and the conditional open of the caller that counted
    // the threshold can lose to the next one's, so it is at least the threshold, at most every try.
    const line = formatRecord(opened[0] as LogRecord).slice(9);
    const counted =
      /^breaker open +catering: (\d+) failed attempts in a row; deliveries stop, messages wait \(probe every 1s\)$/.exec(
        line,
      );
    expect(counted, line).not.toBeNull();
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(BREAKER.failures);
    expect(Number(counted?.[1])).toBeLessThanOrEqual(server.current.requests.length);
    expect(triedBeforeOpen).toBeGreaterThanOrEqual(BREAKER.failures);
    expect(server.current.requests).toHaveLength(triedBeforeOpen);
  });

  it('puts back what arrives while open, untried, with its attempts so far, and dead-letters nothing', async () => {
    // Prepare: three messages, each tried until the breaker opens
    server.current.fallback = { status: 503 };
    const route = await breakerRoute();
    const ids = await postMany(route, 3);
    await forwardUntilOpen(route);
    const triedBeforeOpen = server.current.requests.length;
    await sleep(1_200); // the retry backoff (1 s) passes: they are visible again

    // Act: batches received while open (as between an open and the mapping stopping)
    let held = 0;
    const deadline = Date.now() + 6_000;
    while (held < ids.length && Date.now() < deadline) held += (await route.forwardOnce()).deleted;

    // Assess: no new attempt; each a fresh copy that carries exactly the attempts it had
    expect(held).toBe(ids.length);
    expect(server.current.requests).toHaveLength(triedBeforeOpen);
    const copies = await drainQueueView(route, ids.length);
    expect(copies.map((m) => m.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue).sort()).toEqual(
      [...ids].sort(),
    );
    for (const copy of copies) {
      const id = copy.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue;
      const attempts = server.current.idsReceived().filter((received) => received === id).length;
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(copy.MessageAttributes?.[ATTR.QUEUE_ATTEMPTS]?.StringValue).toBe(String(attempts));
      expect(copy.MessageAttributes?.[ATTR.QUEUED_AT]?.StringValue).toBeDefined();
      expect(copy.Attributes?.ApproximateReceiveCount).toBe('1');
    }
    expect(await route.deadLetters()).toHaveLength(0);
    expect(route.logs.forwarder.entries()).toContainEqual(
      expect.objectContaining({ event: LOG_EVENT.BREAKER_HELD }),
    );
  });

  it('counts only consecutive failures: an answer in between starts the count again', async () => {
    // Prepare: one message per batch, answered 503, 503, 200, 503, 503, then 503
    server.current.answerNext(
      { status: 503 },
      { status: 503 },
      { status: 200 },
      { status: 503 },
      { status: 503 },
    );
    server.current.fallback = { status: 503 };
    const route = await createTestRoute({
      target: server.target,
      route: { breaker: BREAKER, batchSize: 1, maxAttempts: 5, retry: { schedule: [30, 30, 30, 30] } },
    });
    await postMany(route, 6);

    // Act: five single-message batches
    for (let i = 0; i < 5; i++) await route.forwardOnce();
    const afterFive = await route.breaker();
    await route.forwardOnce();

    // Assess: 2 failures after the success, still closed; the sixth attempt is the third in a row
    expect(afterFive).toMatchObject({ state: 'closed', failures: 2 });
    expect((await route.breaker()).state).toBe('open');
  });

  it('does not count an answer that shows the backend up (a non-retryable 400)', async () => {
    // Prepare
    server.current.fallback = { status: 400 };
    const route = await breakerRoute();
    await postMany(route, 4);

    // Act
    await route.forwardOnce();

    // Assess: dead-lettered as a non-retryable answer, the breaker untouched
    expect(await route.breaker()).toMatchObject({ state: 'closed', failures: 0 });
    expect(await route.deadLetters()).toHaveLength(4);
  });
});

describe('circuit breaker: probing', () => {
  /** A route whose breaker is open (since `openedAt`), its probe due now, with `count` messages waiting. */
  async function openRoute(count: number, extra: Partial<TestRouteOptions> = {}, openedAt = new Date()) {
    const route = await breakerRoute(extra);
    const store = new DynamoDbBreakerStore(route.dynamoDb, route.tables.messageTable);
    for (let i = 0; i < BREAKER.failures; i++) await store.countFailure(route.route.name);
    expect(await store.open(route.route.name, BREAKER.failures, openedAt, new Date())).toBe(true);
    const ids = await postMany(route, count);
    return { route, store, ids };
  }

  it('a failed probe tries one message, puts it back as it was, and stays open until the next probe time', async () => {
    // Prepare
    server.current.fallback = { status: 503 };
    const { route, ids } = await openRoute(1);

    // Act
    const first = await route.probe();
    const tooSoon = await route.probe();
    const afterFirst = await route.breaker();

    // Assess: one attempt; the message back on the queue as a fresh copy, no attempt counted
    expect(first).toMatchObject({ state: 'open', attempts: 1 });
    expect(tooSoon).toMatchObject({ state: 'open', attempts: 0 });
    expect(server.current.requests).toHaveLength(1);
    const [copy] = await drainQueueView(route, 1);
    expect(copy?.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue).toBe(ids[0]);
    expect(copy?.MessageAttributes?.[ATTR.QUEUE_ATTEMPTS]).toBeUndefined();
    expect(copy?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(afterFirst.state).toBe('open');
    expect(Date.parse(afterFirst.probeAt ?? '')).toBeGreaterThan(Date.parse(afterFirst.openedAt ?? ''));
  });

  it('never spends attempts on probes: a message with one attempt left survives many failed probes', async () => {
    // Prepare: 3 attempts per message; two used while closed (2 failures: not yet open)
    server.current.fallback = { status: 503 };
    const route = await breakerRoute();
    const [id] = await postMany(route, 1);
    await route.forwardOnce();
    await sleep(1_100);
    await route.forwardOnce();
    expect(await route.breaker()).toMatchObject({ state: 'closed', failures: 2 });
    const store = new DynamoDbBreakerStore(route.dynamoDb, route.tables.messageTable);
    await store.countFailure(route.route.name);
    await store.open(route.route.name, BREAKER.failures, new Date(), new Date());
    await sleep(1_100); // the second attempt's backoff

    // Act: four failed probes, each when due, then the backend heals
    for (let i = 0; i < 4; i++) {
      expect(await route.probe()).toMatchObject({ state: 'open', attempts: 1 });
      await sleep(1_100);
    }
    const [waiting] = await drainQueueView(route, 1);
    server.current.fallback = { status: 200 };
    await sleep(1_100);
    const healed = await route.probe();

    // Assess: the copy kept its two attempts; nothing dead-lettered; delivered once healed
    expect(waiting?.MessageAttributes?.[ATTR.QUEUE_ATTEMPTS]?.StringValue).toBe('2');
    expect(healed).toMatchObject({ state: 'closed', attempts: 1 });
    expect(server.current.requests).toHaveLength(2 + 4 + 1);
    expect(server.current.idsReceived().at(-1)).toBe(id);
    expect(await route.deadLetters()).toHaveLength(0);
  });

  it('a probe the backend answers closes the breaker, delivers the message and starts the route again', async () => {
    // Prepare
    server.current.fallback = { status: 200 };
    const { route, ids } = await openRoute(2);
    await new QueueTagSwitch(route.sqs, route.queues.queueUrl).stop(); // as the opener did

    // Act
    const report = await route.probe();

    // Assess
    expect(report).toMatchObject({ state: 'closed', attempts: 1 });
    expect(await route.breaker()).toMatchObject({ state: 'closed', failures: 0 });
    expect(await breakerTag(route)).toBeUndefined();
    expect(server.current.idsReceived()).toHaveLength(1);
    expect(ids).toContain(server.current.idsReceived()[0]);
    expect((await route.record(server.current.idsReceived()[0] as string))?.deliveredAt).toBeDefined();
    const journey = route.logs.forwarder.entries().map((record) => formatRecord(record).slice(9));
    expect(journey).toContainEqual(
      expect.stringMatching(/^breaker probe +catering: half-open, trying one message$/),
    );
    expect(journey).toContainEqual(expect.stringMatching(/^breaker closed +catering: deliveries resumed$/));
  });

  it('stops the route again when batches still arrive a minute after it opened (the stop did not take)', async () => {
    // Prepare: opened two minutes ago, yet the queue is not tagged
    server.current.fallback = { status: 200 };
    const { route } = await openRoute(2, {}, new Date(Date.now() - 120_000));
    const early = await openRoute(2);

    // Act
    await route.forwardOnce();
    await early.route.forwardOnce();

    // Assess: both held; only the late one switched the route off again
    expect(server.current.requests).toHaveLength(0);
    expect(await breakerTag(route)).toBe('open');
    expect(await breakerTag(early.route)).toBeUndefined();
  });

  it("an operator's pause wins: a probe that closes the breaker leaves the deliveries stopped", async () => {
    // Prepare: a switch that records what it is told
    const calls: string[] = [];
    const deliveries: DeliverySwitch = {
      stop: async () => void calls.push('stop'),
      start: async () => void calls.push('start'),
      limit: async (concurrency) => void calls.push(`limit ${concurrency}`),
    };
    server.current.fallback = { status: 200 };
    const { route, store } = await openRoute(1, { deliveries });
    await store.setManualPause(route.route.name, true);

    // Act
    const report = await route.probe();

    // Assess
    expect(report.state).toBe('closed');
    expect(calls).not.toContain('start');
    expect(await route.breaker()).toMatchObject({ state: 'closed', manualPause: true });
  });

  it("an operator's pause that lands while the probe's start is in progress wins: the stop waits for the mapping to settle", async () => {
    // Prepare: the route's mapping (disabled by the open breaker) busy 1.5 s after each change; a
    // `gd pause` recorded right after the probe started the mapping
    const { lambda, state } = busyMapping(1_500);
    const mapping = new EventSourceMappingSwitch('fwd', 4, lambda, [200, 400, 800, 1_600]);
    const pauseAfterStart: { store?: DynamoDbBreakerStore; route?: string } = {};
    const deliveries: DeliverySwitch = {
      start: async (concurrency) => {
        await mapping.start(concurrency);
        await pauseAfterStart.store?.setManualPause(pauseAfterStart.route ?? '', true);
      },
      stop: () => mapping.stop(),
      limit: (concurrency) => mapping.limit(concurrency),
    };
    server.current.fallback = { status: 200 };
    const { route, store } = await openRoute(1, { deliveries });
    Object.assign(pauseAfterStart, { store, route: route.route.name });

    // Act
    const report = await route.probe();

    // Assess: Lambda refused the stop while the start was in progress; it was tried again, and the
    // route is stopped
    expect(report).toMatchObject({ state: 'closed', detail: 'closed; paused by an operator' });
    expect(state.refused).toBeGreaterThan(0);
    expect(state.enabled).toBe(false);
    expect(route.logs.forwarder.entries()).not.toContainEqual(
      expect.objectContaining({ event: LOG_EVENT.BREAKER_SWITCH_FAILED }),
    );
  });
});

describe('circuit breaker: coming back', () => {
  it('ramps deliveries back up after a close: 2 batches at once, doubled at each probe tick, up to the route', async () => {
    // Prepare: a route of 8 batches at once, its breaker open and due, one message waiting
    server.current.fallback = { status: 200 };
    const route = await breakerRoute({ route: { breaker: BREAKER, concurrency: 8 } });
    const store = new DynamoDbBreakerStore(route.dynamoDb, route.tables.messageTable);
    for (let i = 0; i < BREAKER.failures; i++) await store.countFailure(route.route.name);
    await store.open(route.route.name, BREAKER.failures, new Date(), new Date());
    await postMany(route, 1);
    const limitTag = async () =>
      (await route.sqs.send(new ListQueueTagsCommand({ QueueUrl: route.queues.queueUrl }))).Tags?.[
        CONCURRENCY_TAG
      ];

    // Act: the probe that closes it, then two ticks
    const closing = await route.probe();
    const atClose = { ramp: (await route.breaker()).rampConcurrency, tag: await limitTag() };
    await route.probe();
    const second = { ramp: (await route.breaker()).rampConcurrency, tag: await limitTag() };
    const last = await route.probe();
    const done = { ramp: (await route.breaker()).rampConcurrency, tag: await limitTag() };

    // Assess
    expect(closing.state).toBe('closed');
    expect(atClose).toEqual({ ramp: 2, tag: '2' });
    expect(second).toEqual({ ramp: 4, tag: '4' });
    expect(last.detail).toBe('ramp-up done');
    expect(done).toEqual({ ramp: undefined, tag: undefined });
  });

  it('stays open when deliveries cannot be started after a good probe, so the next probe tries again', async () => {
    // Prepare: a switch that cannot start
    const deliveries: DeliverySwitch = {
      stop: async () => undefined,
      start: async () => {
        throw new Error('ResourceInUseException: the mapping is being updated');
      },
      limit: async () => undefined,
    };
    server.current.fallback = { status: 200 };
    const route = await breakerRoute({ deliveries });
    const store = new DynamoDbBreakerStore(route.dynamoDb, route.tables.messageTable);
    for (let i = 0; i < BREAKER.failures; i++) await store.countFailure(route.route.name);
    await store.open(route.route.name, BREAKER.failures, new Date(), new Date());
    const [id] = await postMany(route, 1);

    // Act
    const report = await route.probe();

    // Assess: the message went through (it is done); the breaker is open for the next try
    expect(report.state).toBe('open');
    expect((await route.breaker()).state).toBe('open');
    expect(server.current.idsReceived()).toEqual([id]);
    expect(route.logs.forwarder.entries()).toContainEqual(
      expect.objectContaining({ event: LOG_EVENT.BREAKER_SWITCH_FAILED, action: 'start' }),
    );
  });
});

describe('circuit breaker state item', () => {
  it('lets exactly one of many concurrent forwarders open it, and one of many probes start', async () => {
    // Prepare
    const route = await breakerRoute();
    const store = new DynamoDbBreakerStore(route.dynamoDb, route.tables.messageTable);
    const name = route.route.name;
    await Promise.all(Array.from({ length: 6 }, () => store.countFailure(name)));
    const now = new Date();

    // Act
    const opens = await Promise.all(Array.from({ length: 8 }, () => store.open(name, 3, now, now)));
    const probes = await Promise.all(
      Array.from({ length: 8 }, () => store.startProbe(name, now, new Date(now.getTime() + 60_000))),
    );

    // Assess
    expect(opens.filter(Boolean)).toHaveLength(1);
    expect(probes.filter(Boolean)).toHaveLength(1);
    expect((await store.read(name, true)).state).toBe('half-open');
    // Counting stops while not closed.
    expect(await store.countFailure(name)).toBeUndefined();
  });
});
