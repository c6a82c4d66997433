import { createHash } from 'node:crypto';

/**
 * What ordered routes share between the ingest, the forwarder, the drainer and the stack: how a key
 * becomes an SQS FIFO message group, and how a message id becomes a deduplication id.
 */

/** Where an ordered route reads each message's ordering key (the route option `ordering`). */
export type OrderingRule = { readonly keyHeader: string } | { readonly keyPointer: string };

/** Suffix SQS requires on the name of a FIFO queue. */
export const FIFO_SUFFIX = '.fifo';

/**
 * SQS's rule for MessageGroupId and MessageDeduplicationId: 1-128 characters, alphanumeric or
 * punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~), i.e. printable ASCII without the space.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export const SQS_GROUP_ID = /^[\x21-\x7e]{1,128}$/;

/** Whether a queue (URL, ARN or name) is a FIFO queue. */
export function isFifoQueue(urlOrArnOrName: string): boolean {
  return urlOrArnOrName.endsWith(FIFO_SUFFIX);
}

/**
 * The MessageDeduplicationId for `text` (a message id, say): the text itself when SQS accepts it,
 * otherwise its SHA-256 (a client's Idempotency-Key may be up to 255 characters; SQS takes 128).
 */
export function deduplicationId(text: string): string {
  return SQS_GROUP_ID.test(text) ? text : `sha256-${createHash('sha256').update(text).digest('hex')}`;
}

/** Describes a rule for messages and logs: `header Ordering-Key` or `body /passengerId`. */
export function describeOrderingRule(rule: OrderingRule): string {
  return 'keyHeader' in rule ? `header ${rule.keyHeader}` : `body ${rule.keyPointer}`;
}
