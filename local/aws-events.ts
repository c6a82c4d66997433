import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, Context, ScheduledEvent, SQSEvent } from 'aws-lambda';
import { sqsRecord } from '../shared/aws/sqs-record.js';

/**
 * The event shapes AWS hands the three functions, built from local inputs. The local runner and
 * the integration tests call the real handlers with these, so what runs here is what runs on AWS.
 */

const REGION = process.env.AWS_REGION ?? 'us-east-1';

/** A Lambda context with a real remaining-time clock (Powertools idempotency reads it). */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An HTTP request as the local API server hands it to {@link apiGatewayEvent}. */
export interface HttpRequestInput {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer | string | null;
  readonly sourceIp?: string;
  /** The API resource when it differs from the path (`/orders/{messageId}`). @default path */
  readonly resource?: string;
  /** Values of the resource's `{...}` path parameters. */
  readonly pathParameters?: Readonly<Record<string, string>>;
}

/**
 * An API Gateway REST proxy event. Bodies are passed base64-encoded, as API Gateway does for
 * binary media types, so the ingest sees the exact bytes (and can refuse invalid UTF-8).
 */
export function apiGatewayEvent(input: HttpRequestInput): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) if (value !== undefined) headers[name] = value;
  const body = input.body === null ? null : Buffer.from(input.body).toString('base64');
  return {
    resource: input.resource ?? input.path,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: input.pathParameters ? { ...input.pathParameters } : null,
    stageVariables: null,
    body,
    isBase64Encoded: body !== null,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      httpMethod: input.method,
      identity: {
        sourceIp: input.sourceIp ?? '127.0.0.1',
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: input.path,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: input.resource ?? input.path,
      stage: 'local',
    },
  };
}

/** Lambda's SQS event for a batch of received messages, as the event source mapping delivers it. */
export function sqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  return { Records: messages.map((message) => sqsRecord(message, queueArn, REGION)) };
}

/** An EventBridge scheduled event. */
export function scheduledEvent(ruleName: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:000000000000:rule/${ruleName}`],
    detail: {},
  };
}
