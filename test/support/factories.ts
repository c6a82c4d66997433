import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import type { ForwarderSettings } from '../../functions/forwarder/forwarder-deps.js';
import type { IngestRequest, IngestRules } from '../../functions/ingest/parse-request.js';
import { type MessageEnvelope, toMessageAttributes } from '../../shared/envelope.js';
import { builtInBodySchema } from '../../shared/schemas/body-schemas.js';

/** Typed fixtures for unit tests: each factory gives a valid value, overridable field by field. */

/** A catering registration as in the reference scenario (docs/reference-mapping.md). */
export function cateringRegistration(overrides: Record<string, unknown> = {}) {
  return {
    passengerId: '241241d',
    class: 'first',
    train: 'RLC-5051',
    departure: { time: '09:30', station: 'Colombo' },
    food: [{ serving: 'breakfast', type: 'veg' }],
    ...overrides,
  };
}

export function anEnvelope(overrides: Partial<MessageEnvelope> = {}): MessageEnvelope {
  return {
    id: 'msg-0001',
    route: 'catering',
    body: JSON.stringify(cateringRegistration()),
    contentType: 'application/json',
    receivedAt: '2025-01-02T03:04:05.000Z',
    priorAttempts: 0,
    ...overrides,
  };
}

/** SDK-shaped attributes (SendMessage / ReceiveMessage) → the shape Lambda puts in an SQS record. */
export function toLambdaAttributes(
  attributes: Record<string, MessageAttributeValue>,
): Record<string, SQSMessageAttribute> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        stringValue: value.StringValue,
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );
}

export interface RecordOptions {
  readonly messageId?: string;
  readonly receiptHandle?: string;
  readonly receiveCount?: number;
  readonly sentTimestamp?: number;
  /** Attributes as SQS would hand them over; defaults to those of the envelope. */
  readonly messageAttributes?: Record<string, SQSMessageAttribute>;
  /** A FIFO record's message group (the envelope's ordering key by default); its ARN ends in .fifo. */
  readonly groupId?: string;
}

/** The record Lambda's SQS event source mapping would hand the forwarder for this envelope. */
export function anSqsRecord(
  envelope: MessageEnvelope = anEnvelope(),
  options: RecordOptions = {},
): SQSRecord {
  const group = options.groupId ?? envelope.orderingKey;
  return {
    messageId: options.messageId ?? 'sqs-0f1e2d3c',
    receiptHandle: options.receiptHandle ?? 'receipt-handle-1',
    body: envelope.body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(options.sentTimestamp ?? Date.parse('2025-01-02T03:04:06.000Z')),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.parse('2025-01-02T03:04:07.000Z')),
      ...(group === undefined ? {} : { MessageGroupId: group }),
    },
    messageAttributes: options.messageAttributes ?? toLambdaAttributes(toMessageAttributes(envelope)),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:t-catering-delivery${group === undefined ? '' : '.fifo'}`,
    awsRegion: 'us-east-1',
  };
}

/** A well-formed ingest request carrying `body` (a string is sent as is, anything else as JSON). */
export function anIngestRequest(
  body: unknown = cateringRegistration(),
  overrides: Partial<IngestRequest> = {},
): IngestRequest {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    ...overrides,
  };
}

/** A batch ingest request: `{"messages": [...]}` (or any other body given as a string). */
export function aBatchRequest(
  messages: readonly { body?: unknown; idempotencyKey?: unknown }[] | string,
  overrides: Partial<IngestRequest> = {},
): IngestRequest {
  return anIngestRequest(typeof messages === 'string' ? messages : { messages }, overrides);
}

/** A request whose body is exactly these bytes, base64-encoded as API Gateway passes binary bodies. */
export function aBinaryIngestRequest(
  bytes: Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): IngestRequest {
  return { method: 'POST', headers, body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true };
}

export function ingestRules(overrides: Partial<IngestRules> = {}): IngestRules {
  return {
    route: 'catering',
    maxBodyBytes: 250_000,
    schemaName: 'json-object',
    schema: builtInBodySchema('json-object'),
    ...overrides,
  };
}

export function forwarderSettings(overrides: Partial<ForwarderSettings> = {}): ForwarderSettings {
  return {
    route: 'catering',
    targetUrl: 'http://127.0.0.1:9/catering',
    timeoutSeconds: 10,
    maxAttempts: 4,
    retry: { baseSeconds: 2, maxSeconds: 300 },
    nonRetryableStatuses: new Set([400, 404, 422]),
    ...overrides,
  };
}
