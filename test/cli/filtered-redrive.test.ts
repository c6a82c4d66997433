import { beforeEach, describe, expect, it } from 'vitest';
import { peekMessages, toDeadLetter } from '../../cli/stack/queue-inspection.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

const TIMEOUT = 'gave up after 4 attempts; last: no answer: The operation was aborted due to timeout';
const UNPROCESSABLE = 'backend answered 422, which is configured as non-retryable';

describe('gd redrive with filters', () => {
  let fixture: CliFixture;

  beforeEach(async () => {
    // Prepare: 10 dead letters, 6 given up on timeouts and 4 refused with 422
    fixture = await createCliFixture();
    for (let i = 0; i < 10; i++) {
      await fixture.deadLetter(
        `dead-${i}`,
        i % 5 < 3
          ? { reason: TIMEOUT, attempts: 4 }
          : { reason: UNPROCESSABLE, attempts: 1, lastStatus: 422 },
      );
    }
  });

  const timeoutIds = ['dead-0', 'dead-1', 'dead-2', 'dead-5', 'dead-6', 'dead-7'];
  const unprocessableIds = ['dead-3', 'dead-4', 'dead-8', 'dead-9'];

  it('moves only the dead letters whose reason matches; the others stay, visible and unchanged', async () => {
    // Act
    const result = await fixture.run(['redrive', '--route', 'catering', '--reason', 'TIMEOUT', '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      routes: [
        { route: 'catering', method: 'receive-send-delete', moved: 6, failed: 0, refused: 0, skipped: 4 },
      ],
    });
    expect((await fixture.queuedIds()).sort()).toEqual(timeoutIds);
    // Left at once visible again (not after a visibility timeout), with their reason intact.
    const counts = await queueCounts(fixture.sqs, fixture.queues.dlqUrl);
    expect(counts).toEqual({ visible: 4, inFlight: 0, delayed: 0 });
    const left = (await peekMessages(fixture.sqs, fixture.queues.dlqUrl, { limit: 10 })).map((message) =>
      toDeadLetter('catering', message),
    );
    expect(left.map((letter) => letter.id).sort()).toEqual(unprocessableIds);
    expect(new Set(left.map((letter) => letter.reason))).toEqual(new Set([UNPROCESSABLE]));
  });

  it('combines filters: ids and status must both match', async () => {
    // Act
    const result = await fixture.run([
      'redrive',
      '--status',
      '4xx',
      '--id',
      'dead-3,dead-0',
      '--id',
      'dead-9',
      '--json',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ routes: [{ moved: 2, skipped: 8 }] });
    expect((await fixture.queuedIds()).sort()).toEqual(['dead-3', 'dead-9']);
  });

  it('lists what would move on a dry run and moves nothing', async () => {
    // Act
    const text = await fixture.run(['redrive', '--reason', 'non-retryable', '--dry-run']);
    const json = await fixture.run([
      'redrive',
      '--reason',
      'non-retryable',
      '--since',
      '1h',
      '--dry-run',
      '--json',
    ]);

    // Assess
    expect(text.code).toBe(0);
    expect(text.out).toContain('catering: would move 4 of 10 dead letter(s) (dry run, nothing moved)');
    for (const id of unprocessableIds) expect(text.out).toContain(id);
    for (const id of timeoutIds) expect(text.out).not.toContain(`${id} `);
    const report = json.json<{ routes: { looked: number; wouldMove: { id: string }[] }[] }>();
    expect(report.routes[0]?.looked).toBe(10);
    expect(report.routes[0]?.wouldMove.map((letter) => letter.id).sort()).toEqual(unprocessableIds);
    expect(await fixture.queuedIds()).toEqual([]);
    expect((await queueCounts(fixture.sqs, fixture.queues.dlqUrl)).visible).toBe(10);
  });

  it('rejects a time it cannot read, naming the option and the value', async () => {
    // Act
    const result = await fixture.run(['redrive', '--since', 'yesterday']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toContain('--since: a time must be ISO 8601');
    expect(result.err).toContain("got 'yesterday'");
  });
});
