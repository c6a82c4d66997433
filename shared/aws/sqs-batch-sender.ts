import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describeError } from '../errors.js';
import type { SendFault } from '../ports.js';

/**
 * SendMessageBatch's two limits, both from the API reference
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html):
 * "up to 10 messages", and "the maximum total payload size (the sum of the individual lengths of all
 * of the batched messages) [is] 1 MiB (1,048,576 bytes)". A message's length includes its message
 * attributes: "name, type, and value" all count towards the size limit
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html).
 */
export const SQS_BATCH_LIMIT = 10;
/** See {@link SQS_BATCH_LIMIT}: the most bytes (bodies plus attributes) one SendMessageBatch may carry. */
export const SQS_BATCH_MAX_BYTES = 1_048_576;

/** One entry SQS did not confirm, and whether trying again can help. */
export interface EntryFailure {
  /** Position of the entry in the list given to {@link sendEntries}. */
  readonly index: number;
  readonly reason: string;
  /** `refused`: SQS rejected this entry for itself; `unavailable`: SQS failed (see {@link SendFault}). */
  readonly fault: SendFault;
}

/** Which entries SQS confirmed and which it did not, by position. */
export interface SendEntriesResult {
  /** Positions of the entries SQS confirmed. */
  readonly sent: readonly number[];
  readonly failed: readonly EntryFailure[];
}

/** How {@link sendEntries} sends its batches. */
export interface SendEntriesOptions {
  /**
   * Send all batches at once (the lowest latency, for a client waiting on the answer) instead of one
   * after the other (which keeps their order, and stops calling SQS at the first sign it is down).
   * @default false
   */
  readonly concurrent?: boolean;
}

/** Error names with which SQS rejects a whole batch because of what one of its entries holds. */
const ENTRY_CAUSED_ERRORS = new Set([
  'BatchRequestTooLong',
  'InvalidMessageContents',
  'InvalidAttributeName',
  'InvalidAttributeValue',
  'InvalidParameterValue',
  'MessageTooLong',
]);

const utf8Bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));

function attributeBytes(name: string, value: MessageAttributeValue): number {
  return (
    utf8Bytes(name) +
    utf8Bytes(value.DataType) +
    utf8Bytes(value.StringValue) +
    (value.BinaryValue?.byteLength ?? 0) +
    (value.StringListValues ?? []).reduce((sum, item) => sum + utf8Bytes(item), 0) +
    (value.BinaryListValues ?? []).reduce((sum, item) => sum + item.byteLength, 0)
  );
}

/** The size SQS counts for one entry: body plus every message attribute's name, type and value. */
export function entryBytes(entry: SendMessageBatchRequestEntry): number {
  return (
    utf8Bytes(entry.MessageBody) +
    Object.entries(entry.MessageAttributes ?? {}).reduce(
      (sum, [name, value]) => sum + attributeBytes(name, value),
      0,
    )
  );
}

/**
 * Splits entries, in order, into batches SQS accepts: at most {@link SQS_BATCH_LIMIT} entries and
 * {@link SQS_BATCH_MAX_BYTES} bytes each. An entry too large on its own gets a batch of its own (SQS
 * refuses it there, without taking its neighbours down with it).
 */
export function splitIntoBatches<T>(items: readonly T[], bytesOf: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const item of items) {
    const bytes = bytesOf(item);
    if (
      current.length > 0 &&
      (current.length === SQS_BATCH_LIMIT || currentBytes + bytes > SQS_BATCH_MAX_BYTES)
    ) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Whether a failed SendMessageBatch call was caused by what an entry holds rather than by SQS. */
function isEntryCaused(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { Code?: string; code?: string }).Code ?? (error as { code?: string }).code;
  return ENTRY_CAUSED_ERRORS.has(error.name) || (code !== undefined && ENTRY_CAUSED_ERRORS.has(code));
}

interface Positioned {
  readonly index: number;
  readonly entry: SendMessageBatchRequestEntry;
}

/**
 * Sends any number of entries to one queue in as few SendMessageBatch calls as SQS's limits allow,
 * and says for each entry whether SQS took it, refused it for itself, or was unavailable.
 *
 * - A SenderFault entry in a batch's `Failed` list is `refused`; its neighbours go on.
 * - A whole call rejected for an entry's content (BatchRequestTooLong, InvalidMessageContents, ...;
 *   some SQS APIs, moto among them, reject the whole batch for one bad entry) is split in halves and
 *   sent again, down to the single entry at fault, which is `refused`.
 * - Any other failed call means SQS is unavailable: that batch's entries are `unavailable`, and so,
 *   when sending in order, is every batch not sent yet (a dead endpoint costs one timeout, not one
 *   per batch).
 * - An entry SQS names in neither list of its answer is `unavailable`: never reported sent unconfirmed.
 *
 * Entry ids are rewritten to positions (SQS wants short alphanumeric ids).
 */
export async function sendEntries(
  sqs: SQSClient,
  queueUrl: string,
  entries: readonly SendMessageBatchRequestEntry[],
  options: SendEntriesOptions = {},
): Promise<SendEntriesResult> {
  const sent: number[] = [];
  const failed: EntryFailure[] = [];
  const positioned = entries.map((entry, index): Positioned => ({ index, entry }));
  let unavailable: string | undefined;
  const failAll = (batch: readonly Positioned[], reason: string) =>
    failed.push(...batch.map(({ index }) => ({ index, reason, fault: 'unavailable' as const })));

  const sendBatch = async (batch: readonly Positioned[]): Promise<void> => {
    try {
      const output = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map(({ entry }, position) => ({ ...entry, Id: String(position) })),
        }),
      );
      for (const success of output.Successful ?? []) {
        const item = batch[Number(success.Id)];
        if (item) sent.push(item.index);
      }
      const answered = new Set((output.Successful ?? []).map((success) => success.Id));
      for (const failure of output.Failed ?? []) {
        const item = batch[Number(failure.Id)];
        if (!item) continue;
        answered.add(failure.Id);
        failed.push({
          index: item.index,
          reason: `${failure.Code}: ${failure.Message ?? ''}`.trim(),
          fault: failure.SenderFault ? 'refused' : 'unavailable',
        });
      }
      // An entry SQS names in neither list was not acknowledged: never report it as sent.
      batch.forEach(({ index }, position) => {
        if (!answered.has(String(position))) {
          failed.push({ index, reason: 'not in the SQS response', fault: 'unavailable' });
        }
      });
    } catch (error) {
      if (isEntryCaused(error) && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await sendBatch(batch.slice(0, half));
        if (unavailable === undefined) await sendBatch(batch.slice(half));
        else failAll(batch.slice(half), unavailable);
        return;
      }
      const reason = describeError(error);
      if (isEntryCaused(error)) {
        failed.push(...batch.map(({ index }) => ({ index, reason, fault: 'refused' as const })));
      } else {
        unavailable = reason;
        failAll(batch, reason);
      }
    }
  };

  const batches = splitIntoBatches(positioned, ({ entry }) => entryBytes(entry));
  if (options.concurrent) {
    await Promise.all(batches.map(sendBatch));
  } else {
    for (const batch of batches) {
      if (unavailable === undefined) await sendBatch(batch);
      else failAll(batch, `not sent: SQS unavailable (${unavailable})`);
    }
  }
  return { sent, failed };
}
