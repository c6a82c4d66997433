import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processFifoBatch } from '../../functions/forwarder/fifo-batch.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import { lambdaContext } from '../../local/aws-events.js';
import { createMetrics, SERVICE } from '../../shared/metrics.js';
import { anEnvelope, anSqsRecord, forwarderSettings } from '../support/factories.js';
import {
  FakeClock,
  InMemoryMessageRecords,
  InMemoryQueue,
  InMemorySkipLedger,
  ScriptedBackend,
  silentLogger,
} from '../support/fakes.js';

/** A FIFO record of `key` whose message id and SQS id are both `id`. */
const fifoRecord = (key: string, id: string, receiveCount = 1) =>
  anSqsRecord(anEnvelope({ id, orderingKey: key }), {
    messageId: id,
    receiptHandle: `rh-${id}`,
    receiveCount,
  });

const ids = (records: readonly SQSRecord[]) => records.map((record) => record.messageId);

describe('processFifoBatch: Lambda rule for FIFO partial batch responses', () => {
  it('reports the records after a failed one of the same group as failed, without attempting them', async () => {
    // Prepare: group A = a1 a2(fails) a3 a4; group B = b1 b2, interleaved as SQS may hand them out
    const batch = [
      fifoRecord('A', 'a1'),
      fifoRecord('B', 'b1'),
      fifoRecord('A', 'a2'),
      fifoRecord('A', 'a3'),
      fifoRecord('B', 'b2'),
      fifoRecord('A', 'a4'),
    ];
    const attempted: string[] = [];

    // Act
    const outcome = await processFifoBatch(batch, async (record) => {
      attempted.push(record.messageId);
      if (record.messageId === 'a2') throw new Error('backend answered 503');
    });

    // Assess: a3 and a4 never reached the handler; group B went on
    expect(attempted.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2']);
    expect(attempted.filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2']);
    expect(ids(outcome.failed)).toEqual(['a2']);
    expect(ids(outcome.skipped)).toEqual(['a3', 'a4']);
    expect(outcome.batchItemFailures).toEqual([
      { itemIdentifier: 'a2' },
      { itemIdentifier: 'a3' },
      { itemIdentifier: 'a4' },
    ]);
  });

  it('handles one group in batch order, each record after the previous one finished', async () => {
    // Prepare: the first record is the slowest, so a parallel run would finish it last
    const finished: string[] = [];
    const batch = [fifoRecord('A', 'a1'), fifoRecord('A', 'a2'), fifoRecord('A', 'a3')];
    const delays: Record<string, number> = { a1: 30, a2: 10, a3: 0 };

    // Act
    await processFifoBatch(batch, async (record) => {
      await new Promise((resolve) => setTimeout(resolve, delays[record.messageId]));
      finished.push(record.messageId);
    });

    // Assess
    expect(finished).toEqual(['a1', 'a2', 'a3']);
  });

  it('runs different groups concurrently', async () => {
    // Prepare: each group waits until the other has started; one record at a time would never finish
    let startedA: () => void = () => undefined;
    let startedB: () => void = () => undefined;
    const aStarted = new Promise<void>((resolve) => {
      startedA = resolve;
    });
    const bStarted = new Promise<void>((resolve) => {
      startedB = resolve;
    });

    // Act
    const outcome = await processFifoBatch([fifoRecord('A', 'a1'), fifoRecord('B', 'b1')], async (record) => {
      if (record.messageId === 'a1') {
        startedA();
        await bStarted;
      } else {
        startedB();
        await aStarted;
      }
    });

    // Assess
    expect(outcome.batchItemFailures).toEqual([]);
  });

  it('reports nothing when every record succeeds, and only the last record when it is the one that fails', async () => {
    // Act
    const clean = await processFifoBatch(
      [fifoRecord('A', 'a1'), fifoRecord('A', 'a2')],
      async () => undefined,
    );
    const lastFails = await processFifoBatch([fifoRecord('A', 'a1'), fifoRecord('A', 'a2')], async (r) => {
      if (r.messageId === 'a2') throw new Error('no');
    });

    // Assess
    expect(clean.batchItemFailures).toEqual([]);
    expect(lastFails.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }]);
    expect(lastFails.skipped).toEqual([]);
  });
});

describe('forwarder handler on an ordered (FIFO) route', () => {
  /** The real forwarder with in-memory records against a backend failing `failing`. */
  function setUp(failing: ReadonlySet<string>) {
    const backend = new ScriptedBackend((request) => ({
      kind: 'answered',
      status: failing.has(request.headers['x-message-id'] ?? '') ? 503 : 200,
    }));
    const queue = new InMemoryQueue();
    const deadLetters = new InMemoryQueue();
    const skips = new InMemorySkipLedger();
    const settings = forwarderSettings({ maxAttempts: 3 });
    const handler = createForwarderHandler(
      {
        queue,
        deadLetters,
        backend,
        records: new InMemoryMessageRecords(),
        logger: silentLogger(),
        clock: new FakeClock(),
        settings,
        skips,
      },
      createMetrics(SERVICE.FORWARDER),
    );
    const delivered = () =>
      backend.requests.map((r) => `${r.headers['x-message-id']}#${r.headers['x-delivery-attempt']}`);
    return { queue, deadLetters, skips, handler, delivered };
  }

  it('holds the failed record for its backoff and releases the skipped ones at once, counting their skip', async () => {
    // Prepare: the backend refuses the first message of key A
    const { queue, skips, handler, delivered } = setUp(new Set(['a1']));

    // Act
    const response = await handler(
      { Records: [fifoRecord('A', 'a1'), fifoRecord('A', 'a2'), fifoRecord('A', 'a3')] },
      lambdaContext('forwarder'),
    );

    // Assess: a1 hidden for its backoff (holding the group); a2, a3 visible again, their skip recorded
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['a1', 'a2', 'a3']);
    expect(delivered()).toEqual(['a1#1']);
    const [held, ...released] = queue.delays;
    expect(held?.receiptHandle).toBe('rh-a1');
    expect(held?.seconds).toBeGreaterThan(0);
    expect(released).toEqual([
      { receiptHandle: 'rh-a2', seconds: 0 },
      { receiptHandle: 'rh-a3', seconds: 0 },
    ]);
    expect(await skips.skipsOf('catering', 'a2')).toBe(1);
    expect(await skips.skipsOf('catering', 'a1')).toBe(0);
  });

  it('does not count skipped receives as attempts: a message skipped twice still gets all its attempts', async () => {
    // Prepare: a2 was received three times (maxAttempts), skipped in two of them
    const { deadLetters, skips, handler, delivered } = setUp(new Set(['a2']));
    await skips.recordSkips('catering', ['a2']);
    await skips.recordSkips('catering', ['a2']);

    // Act
    const response = await handler({ Records: [fifoRecord('A', 'a2', 3)] }, lambdaContext('forwarder'));

    // Assess: that was its first real attempt; it failed and stays in the queue, not in the DLQ
    expect(delivered()).toEqual(['a2#1']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }]);
    expect(deadLetters.sent).toEqual([]);
  });

  it('dead-letters after max attempts into the DLQ with the key as its group, and the key continues', async () => {
    // Prepare: a1 is on its third real attempt and fails again; a2 waits behind it in the batch
    const { deadLetters, handler, delivered } = setUp(new Set(['a1']));

    // Act
    const response = await handler(
      { Records: [fifoRecord('A', 'a1', 3), fifoRecord('A', 'a2')] },
      lambdaContext('forwarder'),
    );

    // Assess: a1 went to the DLQ (keeping its key), so a2 was delivered right after it
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.sent.map((s) => [s.envelope.id, s.envelope.orderingKey])).toEqual([['a1', 'A']]);
    expect(deadLetters.sent[0]?.deadLetter?.reason).toContain('gave up after 3 attempts');
    expect(delivered()).toEqual(['a1#3', 'a2#1']);
  });
});
