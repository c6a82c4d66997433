import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Answer, type Call, forwarderTo, type Json, jsonAnswer, queueKey } from './strict-aws-http.js';

/**
 * A thin layer in front of the AWS emulator (moto) that gives the SQS answers AWS gives where moto
 * differs and the code depends on them. Everything passes through unchanged except SQS's AWS JSON
 * 1.0 calls below:
 *
 * - **12 hours of visibility, counted from the receive**: a ChangeMessageVisibility(Batch) whose
 *   timeout would end more than 43,200 s after the message's receive is refused with
 *   InvalidParameterValue ("ChangeMessageVisibility", Amazon SQS API Reference:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
 *   moto checks the batch call against 12 hours only, not against the time used.
 * - **The FIFO deduplication window**: a send to a FIFO queue whose MessageDeduplicationId (within
 *   its message group under DeduplicationScope messageGroup) was accepted in the last five minutes
 *   is answered as accepted and not delivered, also when the first copy was deleted meanwhile
 *   ("Using the message deduplication ID in Amazon SQS", SQS Developer Guide:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html).
 *   moto compares only with the messages still on the queue.
 *
 * The tests (test/support/global-setup.ts) and `npm start` (local/aws-endpoints.ts) put it in front
 * of the moto they start, so both see these answers. docs/testing.md lists what is emulated and what
 * is not.
 */

const SQS_TARGET = 'AmazonSQS.';
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
const MAX_VISIBILITY_SECONDS = 43_200;
/** Receives remembered at most; the oldest are forgotten first (a forgotten one is not checked). */
const MAX_RECEIVES_KEPT = 200_000;

export interface StrictAwsLayer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

interface Accepted {
  readonly at: number;
  readonly messageId: string;
  readonly sequenceNumber?: string;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** The answer to a send SQS deduplicates: accepted, as the first copy was. */
function sentBefore(seen: Accepted, entry: Json) {
  return {
    MessageId: seen.messageId,
    MD5OfMessageBody: md5(String(entry.MessageBody ?? '')),
    ...(seen.sequenceNumber ? { SequenceNumber: seen.sequenceNumber } : {}),
  };
}

function visibilityRefusal(timeout: unknown): { code: string; message: string } {
  return {
    code: 'InvalidParameterValue',
    message: `Value ${String(timeout)} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`,
  };
}

/** Starts the layer on 127.0.0.1 (`port` 0 or absent: any free port), forwarding to `target`. */
export async function startStrictAwsLayer(target: string, port = 0): Promise<StrictAwsLayer> {
  const receivedAt = new Map<string, number>();
  const accepted = new Map<string, Accepted>();
  const scopes = new Map<string, Promise<string>>();

  const forward = forwarderTo(target);

  /** A queue's DeduplicationScope, asked of the emulator once. */
  const scopeOf = (incoming: Call, queueUrl: string): Promise<string> => {
    const key = queueKey(queueUrl);
    let scope = scopes.get(key);
    if (!scope) {
      const ask = Buffer.from(JSON.stringify({ QueueUrl: queueUrl, AttributeNames: ['DeduplicationScope'] }));
      const asking: Call = {
        method: 'POST',
        url: incoming.url,
        headers: { ...incoming.headers, 'x-amz-target': `${SQS_TARGET}GetQueueAttributes` },
      };
      scope = forward(asking, ask)
        .then(
          (answer) =>
            (JSON.parse(answer.body.toString()) as { Attributes?: Json }).Attributes?.DeduplicationScope,
        )
        .then((value) => (value === 'messageGroup' ? 'messageGroup' : 'queue'))
        .catch(() => 'queue');
      scopes.set(key, scope);
    }
    return scope;
  };

  /** The deduplication key of one send to a FIFO queue, or undefined when SQS would not dedupe it here. */
  const dedupKey = async (incoming: Call, queueUrl: string, entry: Json) => {
    const queue = queueKey(queueUrl);
    if (!queue.endsWith('.fifo') || typeof entry.MessageDeduplicationId !== 'string') return undefined;
    const scope = await scopeOf(incoming, queueUrl);
    const group = scope === 'messageGroup' ? String(entry.MessageGroupId ?? '') : '';
    return `${queue}\n${group}\n${entry.MessageDeduplicationId}`;
  };

  const seenRecently = (key: string | undefined, now: number) => {
    if (key === undefined) return undefined;
    const seen = accepted.get(key);
    return seen && now - seen.at < DEDUPLICATION_WINDOW_MS ? seen : undefined;
  };

  const remember = (key: string | undefined, now: number, messageId: unknown, sequenceNumber: unknown) => {
    if (key === undefined || typeof messageId !== 'string') return;
    for (const [old, entry] of accepted) {
      if (now - entry.at < DEDUPLICATION_WINDOW_MS) break;
      accepted.delete(old);
    }
    accepted.delete(key);
    accepted.set(key, {
      at: now,
      messageId,
      ...(typeof sequenceNumber === 'string' ? { sequenceNumber } : {}),
    });
  };

  /** Seconds used since the receive of `handle`, if this layer saw it. */
  const usedSeconds = (handle: unknown, now: number) => {
    const at = receivedAt.get(String(handle));
    return at === undefined ? undefined : (now - at) / 1000;
  };
  const beyondLimit = (handle: unknown, timeout: unknown, now: number) => {
    const used = usedSeconds(handle, now);
    return used !== undefined && used + Number(timeout) > MAX_VISIBILITY_SECONDS;
  };

  /** A batch call with only the entries the layer did not answer, and the emulator's output. */
  const forwardRest = async (incoming: Call, input: Json, rest: readonly Json[]) => {
    const answer = await forward(incoming, Buffer.from(JSON.stringify({ ...input, Entries: rest })));
    const output =
      answer.status === 200
        ? (JSON.parse(answer.body.toString()) as { Successful?: Json[]; Failed?: Json[] })
        : undefined;
    return { answer, output };
  };

  const handleSqs = async (action: string, incoming: IncomingMessage, body: Buffer): Promise<Answer> => {
    const input = JSON.parse(body.toString() || '{}') as Json;
    const now = Date.now();
    switch (action) {
      case 'ReceiveMessage': {
        const answer = await forward(incoming, body);
        if (answer.status === 200) {
          const messages = (JSON.parse(answer.body.toString()) as { Messages?: Json[] }).Messages ?? [];
          for (const message of messages) receivedAt.set(String(message.ReceiptHandle), now);
          while (receivedAt.size > MAX_RECEIVES_KEPT) {
            const oldest = receivedAt.keys().next().value;
            if (oldest === undefined) break;
            receivedAt.delete(oldest);
          }
        }
        return answer;
      }
      case 'ChangeMessageVisibility': {
        if (!beyondLimit(input.ReceiptHandle, input.VisibilityTimeout, now)) return forward(incoming, body);
        const { code, message } = visibilityRefusal(input.VisibilityTimeout);
        return jsonAnswer(
          400,
          { __type: `com.amazonaws.sqs#${code}`, message },
          {
            'x-amzn-query-error': `${code};Sender`,
          },
        );
      }
      case 'ChangeMessageVisibilityBatch': {
        const entries = (input.Entries as Json[] | undefined) ?? [];
        const refused = entries.filter((entry) =>
          beyondLimit(entry.ReceiptHandle, entry.VisibilityTimeout, now),
        );
        if (refused.length === 0) return forward(incoming, body);
        const failed = refused.map((entry) => {
          const { code, message } = visibilityRefusal(entry.VisibilityTimeout);
          return { Id: entry.Id, SenderFault: true, Code: code, Message: message };
        });
        const rest = entries.filter((entry) => !refused.includes(entry));
        if (rest.length === 0) return jsonAnswer(200, { Successful: [], Failed: failed });
        const { answer, output } = await forwardRest(incoming, input, rest);
        if (!output) return answer;
        return jsonAnswer(200, {
          Successful: output.Successful ?? [],
          Failed: [...(output.Failed ?? []), ...failed],
        });
      }
      case 'SendMessage': {
        const key = await dedupKey(incoming, String(input.QueueUrl), input);
        const seen = seenRecently(key, now);
        if (seen) {
          return jsonAnswer(200, sentBefore(seen, input));
        }
        const answer = await forward(incoming, body);
        if (answer.status === 200) {
          const output = JSON.parse(answer.body.toString()) as Json;
          remember(key, now, output.MessageId, output.SequenceNumber);
        }
        return answer;
      }
      case 'SendMessageBatch': {
        const entries = (input.Entries as Json[] | undefined) ?? [];
        const keys = await Promise.all(
          entries.map((entry) => dedupKey(incoming, String(input.QueueUrl), entry)),
        );
        const duplicates = entries.flatMap((entry, index) => {
          const seen = seenRecently(keys[index], now);
          return seen ? [{ entry, seen }] : [];
        });
        if (duplicates.length === 0 && keys.every((key) => key === undefined)) return forward(incoming, body);
        const answered = duplicates.map(({ entry, seen }) => ({ Id: entry.Id, ...sentBefore(seen, entry) }));
        const rest = entries.filter((entry) => !duplicates.some((duplicate) => duplicate.entry === entry));
        if (rest.length === 0) return jsonAnswer(200, { Successful: answered, Failed: [] });
        const { answer, output } = await forwardRest(incoming, input, rest);
        if (!output) return answer;
        for (const sent of output.Successful ?? []) {
          const index = entries.findIndex((entry) => entry.Id === sent.Id);
          remember(keys[index], now, sent.MessageId, sent.SequenceNumber);
        }
        return jsonAnswer(200, {
          Successful: [...(output.Successful ?? []), ...answered],
          Failed: output.Failed ?? [],
        });
      }
      case 'DeleteMessage':
        receivedAt.delete(String(input.ReceiptHandle));
        return forward(incoming, body);
      default:
        return forward(incoming, body);
    }
  };

  const serve = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = String(incoming.headers['x-amz-target'] ?? '');
    const answer = target.startsWith(SQS_TARGET)
      ? await handleSqs(target.slice(SQS_TARGET.length), incoming, body)
      : await forward(incoming, body);
    outgoing.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
    outgoing.end(answer.body);
  };

  const server = createServer((incoming, outgoing) => {
    serve(incoming, outgoing).catch((error: Error) => {
      if (outgoing.headersSent) return outgoing.destroy();
      outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`strict AWS layer: ${error.message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
