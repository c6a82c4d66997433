import type { SQSBatchItemFailure, SQSRecord } from 'aws-lambda';

/** How a FIFO batch ended: the records that failed, and those not attempted because one before them did. */
export interface FifoBatchOutcome {
  /** Attempted and failed (retried later, or their failure is their own). */
  readonly failed: readonly SQSRecord[];
  /** Not attempted: an earlier record of their message group failed in this batch. */
  readonly skipped: readonly SQSRecord[];
  /** The answer to Lambda: failed and skipped records, so none of them is deleted. */
  readonly batchItemFailures: readonly SQSBatchItemFailure[];
}

/** A record's message group; a record without one (not from a FIFO queue) is a group of its own. */
export function groupOf(record: SQSRecord): string {
  return record.attributes.MessageGroupId ?? `record:${record.messageId}`;
}

/**
 * Processes a batch from an SQS FIFO queue under Lambda's rule for FIFO partial batch responses:
 * records of one message group are handled one after another in batch order, and after a record
 * fails, the rest of its group in this batch is not attempted and is reported failed too, so no
 * later message of the group can be delivered before it
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 * Different groups do not wait for each other: they run concurrently. Powertools'
 * SqsFifoPartialProcessor keeps the rule but runs the whole batch one record at a time, so ten keys
 * in a batch would take ten backend round trips instead of one.
 */
export async function processFifoBatch(
  records: readonly SQSRecord[],
  handle: (record: SQSRecord) => Promise<unknown>,
): Promise<FifoBatchOutcome> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = groups.get(groupOf(record)) ?? [];
    group.push(record);
    groups.set(groupOf(record), group);
  }
  const failed: SQSRecord[] = [];
  const skipped: SQSRecord[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const [index, record] of group.entries()) {
        try {
          await handle(record);
        } catch {
          failed.push(record);
          skipped.push(...group.slice(index + 1));
          return;
        }
      }
    }),
  );
  // Lambda reads the identifiers, not their order; batch order keeps logs and tests readable.
  const notDone = new Set([...failed, ...skipped]);
  return {
    failed,
    skipped,
    batchItemFailures: records
      .filter((record) => notDone.has(record))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}
