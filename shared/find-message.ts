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
  const parked = await deps.failover.get(messageId);
  if (parked?.envelope.route !== route) return undefined;
  return {
    messageId,
    route,
    state: 'in-failover',
    acceptedAt: parked.envelope.receivedAt,
    store: 'failover',
    attempts: [],
  };
}
