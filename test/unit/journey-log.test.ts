import { beforeEach, describe, expect, it } from 'vitest';
import { acceptMessage } from '../../functions/ingest/accept-message.js';
import { formatRecord, type LogRecord } from '../../local/journey-log.js';
import { FailoverWriteError, QueueWriteError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { anIngestRequest, cateringRegistration } from '../support/factories.js';
import { inMemoryIngest } from '../support/fakes.js';

/** The verb column of a journey line: what follows the `HH:MM:SS ` clock. */
const verb = (line: string) => line.slice(9, 22).trim();

describe('journey log', () => {
  let ingest: ReturnType<typeof inMemoryIngest>;

  beforeEach(() => {
    ingest = inMemoryIngest();
  });

  it("formats the ingest's real log records by their event name", async () => {
    // Prepare
    ingest.queue.sendError = new QueueWriteError(
      'SendMessage to q failed: Error: connect ECONNREFUSED 127.0.0.1:4599',
    );
    ingest.failover.putError = new FailoverWriteError('PutItem failed: Error: throttled');

    // Act
    await acceptMessage(anIngestRequest(JSON.stringify(cateringRegistration())), ingest.deps);
    const lines = ingest.logs.entries().map((record) => formatRecord(record));

    // Assess
    expect(ingest.logs.entries().map((record) => record.event)).toEqual([
      LOG_EVENT.QUEUE_WRITE_FAILED,
      LOG_EVENT.NOT_STORED,
    ]);
    expect(lines.map(verb)).toEqual(['queue down', 'rejected']);
    expect(lines[0]).toContain(
      'new-id-1 SQS: connect ECONNREFUSED 127.0.0.1:4599; trying the failover table',
    );
  });

  it('does not depend on the human text of a record', () => {
    // Prepare
    const record: LogRecord = {
      level: 'WARN',
      message: 'any rewording of the message',
      event: LOG_EVENT.ATTEMPT_FAILED,
      messageId: 'm-1',
      attempt: 2,
      reason: 'backend answered 503',
      retryInSeconds: 4,
      timestamp: '2025-01-02T03:04:05.000Z',
    };

    // Act
    const line = formatRecord(record);

    // Assess
    expect(line.slice(9)).toBe('attempt 2     m-1 → 503, retry in 4s');
  });

  it('shows a record without a known event with its service, level, text and fields', () => {
    // Act
    const line = formatRecord({
      level: 'WARN',
      message: 'SQS did not take some failover items; they stay for the next run',
      event: LOG_EVENT.DRAIN_SEND_FAILED,
      service: 'drainer',
      failed: 2,
      timestamp: '2025-01-02T03:04:05.000Z',
    });

    // Assess
    expect(line.slice(9)).toBe(
      'drainer       warn: SQS did not take some failover items; they stay for the next run failed=2',
    );
  });
});
