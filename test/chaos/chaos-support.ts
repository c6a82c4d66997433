import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { ATTR } from '../../shared/envelope.js';
import { waitFor } from '../scenarios/runner-process.js';
import type { ProxiedRequest } from '../support/fault-proxy.js';
import type { LoopbackBackend } from '../support/loopback-backend.js';

/**
 * The chaos run's bookkeeping: what the clients were told (202 / 503 per id), what the stores and the
 * backend hold at the end, and the reconciliation of the two into one line.
 */

/** What clients were answered, per message id. */
export class ClientLedger {
  /** Ids answered 202 at least once. */
  readonly accepted = new Set<string>();
  /** Ids (client keys) answered 503 at least once. */
  readonly rejected = new Set<string>();
  /** 503s to requests without a key: the client never learns an id for them. */
  anonymousRejections = 0;
  /** Requests resent with the same Idempotency-Key (after a 503, or at random after a 202). */
  keyedRetries = 0;
  /** Answers other than 202/503, or no answer at all: each one is a failure of the run. */
  readonly unexpected: string[] = [];
  /** 202s by store. */
  readonly stores = { queue: 0, failover: 0 };
}

/** Ids whose write reached a store although its client saw the call fail (drop, reset, timeout). */
export class AmbiguousWrites {
  readonly ids = new Set<string>();

  /** For the SQS proxy: SendMessage / SendMessageBatch bodies (AWS JSON 1.0) carry the id attribute. */
  fromSqs = (request: ProxiedRequest): void => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!target.endsWith('.SendMessage') && !target.endsWith('.SendMessageBatch')) return;
    const body = parse(request.body) as {
      MessageAttributes?: Record<string, { StringValue?: string }>;
      Entries?: { MessageAttributes?: Record<string, { StringValue?: string }> }[];
    };
    for (const attributes of [
      body.MessageAttributes,
      ...(body.Entries ?? []).map((e) => e.MessageAttributes),
    ]) {
      const id = attributes?.[ATTR.MESSAGE_ID]?.StringValue;
      if (id) this.ids.add(id);
    }
  };

  /** For the DynamoDB proxy: a failover PutItem names the id in `envelopeId`. */
  fromDynamoDb = (request: ProxiedRequest): void => {
    if (!String(request.headers['x-amz-target'] ?? '').endsWith('.PutItem')) return;
    const body = parse(request.body) as { Item?: Record<string, { S?: string }> };
    const id = body.Item?.envelopeId?.S;
    if (id) this.ids.add(id);
  };
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
}

/** A client's view of one POST: the status and, on a 202, the id and the store that took it. */
export interface PostAnswer {
  readonly status: number;
  readonly messageId?: string;
  readonly store?: 'queue' | 'failover';
}

/** POSTs a JSON body (already serialized) to the default route, with the client's key if given. */
export async function postMessage(apiUrl: string, body: string, key?: string): Promise<PostAnswer> {
  const response = await fetch(`${apiUrl}/catering/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await response.json()) as Omit<PostAnswer, 'status'>;
  return { status: response.status, ...answer };
}

/** Message ids the backend was sent (POSTs, by Idempotency-Key), in arrival order, with repeats. */
export function deliveredIds(backend: LoopbackBackend): string[] {
  return backend.requests.filter((r) => r.method === 'POST').map((r) => String(r.headers['idempotency-key']));
}

/** Waits (at most `timeoutMs`) until the backend was sent every id the clients were answered 202 for. */
export async function waitUntilDelivered(
  ledger: ClientLedger,
  backend: LoopbackBackend,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    () => new Set(deliveredIds(backend)),
    (ids) => [...ledger.accepted].every((id) => ids.has(id)),
    timeoutMs,
  );
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight } = await queueCounts(sqs, queueUrl);
  return visible + inFlight;
}

/**
 * Reads every message of a queue once (each stays hidden for `hideSeconds`, so none is read twice)
 * and returns their message-id attributes, with repeats. Stops after three empty receives.
 */
export async function readAllIds(sqs: SQSClient, queueUrl: string, hideSeconds = 600): Promise<string[]> {
  const ids: string[] = [];
  let empty = 0;
  while (empty < 3) {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: hideSeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages: Message[] = output.Messages ?? [];
    if (messages.length === 0) empty++;
    for (const message of messages)
      ids.push(message.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? `sqs:${message.MessageId}`);
  }
  return ids;
}

/** Everything the reconciliation looks at. */
export interface ReconcileInput {
  readonly ledger: ClientLedger;
  /** Backend 2xx deliveries, by Idempotency-Key, with repeats. */
  readonly deliveries: readonly string[];
  readonly deadLetterIds: readonly string[];
  readonly failoverIds: readonly string[];
  /** Ids still in the delivery queue after the quiet wait. */
  readonly queuedIds: readonly string[];
  readonly ambiguous: ReadonlySet<string>;
}

export interface Reconciliation {
  readonly accepted: number;
  readonly delivered: number;
  readonly deadLettered: number;
  readonly inFailover: number;
  readonly inQueue: number;
  /** Accepted ids found nowhere: the number that must be 0. */
  readonly lost: readonly string[];
  /** Backend 2xx beyond the first, summed over ids. */
  readonly duplicateDeliveries: number;
  /** Ids answered only 503 and delivered anyway, after a write the client could not see succeed. */
  readonly rejectedThenDeliveredAmbiguous: readonly string[];
  /** Ids answered only 503 and delivered, with no ambiguous write to explain it: a broken promise 1. */
  readonly rejectedThenDelivered: readonly string[];
  /** Delivered ids no client was told about: explained only by an ambiguous write of an anonymous 503. */
  readonly unattributed: readonly string[];
  readonly unattributedAmbiguous: number;
}

/**
 * Every 202'd id is delivered (backend 2xx), or dead-lettered, or in the failover table, or still
 * queued; each accepted id is counted once, in that order. Lost = accepted and none of those.
 */
export function reconcile(input: ReconcileInput): Reconciliation {
  const { ledger, ambiguous } = input;
  const counts = new Map<string, number>();
  for (const id of input.deliveries) counts.set(id, (counts.get(id) ?? 0) + 1);
  const dlq = new Set(input.deadLetterIds);
  const failover = new Set(input.failoverIds);
  const queued = new Set(input.queuedIds);
  let delivered = 0;
  let deadLettered = 0;
  let inFailover = 0;
  let inQueue = 0;
  const lost: string[] = [];
  for (const id of ledger.accepted) {
    if (counts.has(id)) delivered++;
    else if (dlq.has(id)) deadLettered++;
    else if (failover.has(id)) inFailover++;
    else if (queued.has(id)) inQueue++;
    else lost.push(id);
  }
  const onlyRejected = [...ledger.rejected].filter((id) => !ledger.accepted.has(id));
  const rejectedDelivered = onlyRejected.filter((id) => counts.has(id));
  const unattributed = [...counts.keys()].filter(
    (id) => !ledger.accepted.has(id) && !ledger.rejected.has(id),
  );
  return {
    accepted: ledger.accepted.size,
    delivered,
    deadLettered,
    inFailover,
    inQueue,
    lost,
    duplicateDeliveries: [...counts.values()].reduce((sum, n) => sum + n - 1, 0),
    rejectedThenDeliveredAmbiguous: rejectedDelivered.filter((id) => ambiguous.has(id)),
    rejectedThenDelivered: rejectedDelivered.filter((id) => !ambiguous.has(id)),
    unattributed: unattributed.filter((id) => !ambiguous.has(id)),
    unattributedAmbiguous: unattributed.filter((id) => ambiguous.has(id)).length,
  };
}

/** The one line. */
export function reconciliationLine(r: Reconciliation): string {
  return (
    `accepted ${r.accepted}, delivered ${r.delivered}, dead-lettered ${r.deadLettered}, ` +
    `in failover ${r.inFailover}, lost ${r.lost.length}, duplicate deliveries ${r.duplicateDeliveries}`
  );
}

/**
 * What SQS did with each message id, from the SQS proxy's view of requests and answers: receives
 * (with the receipt handle's tail), deletes, visibility changes and sends. For explaining a lost id.
 */
export class SqsTrace {
  private readonly byHandle = new Map<string, string>();
  readonly events = new Map<string, string[]>();

  private add(id: string, event: string): void {
    const list = this.events.get(id) ?? [];
    if (list.length < 50) list.push(`${new Date().toISOString().slice(11, 23)} ${event}`);
    this.events.set(id, list);
  }

  onAnswer = (request: ProxiedRequest, status: number, body: Buffer): void => {
    const action = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const sent = parse(request.body) as {
      QueueUrl?: string;
      ReceiptHandle?: string;
      Entries?: { ReceiptHandle?: string; MessageAttributes?: Record<string, { StringValue?: string }> }[];
      MessageAttributes?: Record<string, { StringValue?: string }>;
    };
    const queue =
      String(sent.QueueUrl ?? '')
        .split('/')
        .pop() ?? '';
    const tail = (handle: string | undefined) => String(handle ?? '').slice(-10);
    if (action === 'ReceiveMessage') {
      const got = parse(body) as {
        Messages?: {
          ReceiptHandle?: string;
          MessageAttributes?: Record<string, { StringValue?: string }>;
          Attributes?: Record<string, string>;
        }[];
      };
      for (const m of got.Messages ?? []) {
        const id = m.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? '?';
        this.byHandle.set(m.ReceiptHandle ?? '', id);
        this.add(
          id,
          `received ${queue} count=${m.Attributes?.ApproximateReceiveCount} h=${tail(m.ReceiptHandle)}`,
        );
      }
    } else if (
      action === 'DeleteMessageBatch' ||
      action === 'DeleteMessage' ||
      action === 'ChangeMessageVisibility'
    ) {
      const handles = sent.Entries ? sent.Entries.map((e) => e.ReceiptHandle) : [sent.ReceiptHandle];
      for (const handle of handles)
        this.add(this.byHandle.get(handle ?? '') ?? '?', `${action} ${queue} ${status} h=${tail(handle)}`);
    } else if (action === 'SendMessage' || action === 'SendMessageBatch') {
      const entries = sent.Entries ?? [sent];
      for (const entry of entries)
        this.add(
          entry.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue ?? '?',
          `${action} ${queue} ${status}`,
        );
    }
  };
}
