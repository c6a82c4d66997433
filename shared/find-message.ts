import { type MessageRecord, toRecordView } from './message-record.js';
import type { FailoverStore, MessageRecords } from './ports.js';

/** What the lookup reads: the route's status records, and the failover table for a message without one. */
export interface LookupDeps {
  readonly records: MessageRecords;
  readonly failover: FailoverStore;
  readonly rules: { readonly route: string };
}

/**
 * Finds one message of the route: its status record, or, when the record could not be written at
 * ingest, the failover table's copy (a message answered 202 is found from that moment on, whatever
 * store took it). Undefined when neither knows the id on this route. Throws when a store failed.
 */
export async function findMessage(messageId: string, deps: LookupDeps): Promise<MessageRecord | undefined> {
  const route = deps.rules.route;
  const record = await deps.records.get({ route, messageId });
  if (record) return toRecordView(record);
  return findParked(messageId, route, deps.failover);
}

/** A message of the route known only to the failover table (its status record could not be written). */
export async function findParked(
  messageId: string,
  route: string,
  failover: FailoverStore,
): Promise<MessageRecord | undefined> {
  const parked = await failover.get({ route, messageId });
  if (!parked) return undefined;
  return {
    messageId,
    route,
    state: 'in-failover',
    acceptedAt: parked.envelope.receivedAt,
    store: 'failover',
    attempts: [],
  };
}
