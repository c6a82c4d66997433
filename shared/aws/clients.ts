import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { recordCalls } from './call-recorder.js';

/**
 * How long an AWS call may take. The SDK v3 has no timeouts by default, so a silent endpoint
 * would hang a call until the Lambda itself times out: every client here gets explicit ones.
 */
export interface ClientTimeouts {
  /** Time to open the TCP (and TLS) connection. */
  readonly connectionTimeoutMs: number;
  /** Time for the whole request once sent; exceeding it fails the attempt (not just a warning). */
  readonly requestTimeoutMs: number;
  /** Total attempts including the first (the SDK's standard retry strategy, with jittered backoff). */
  readonly maxAttempts: number;
}

/**
 * For the ingest's writes: a dead, refusing or silent store must turn into a failover (or a 503)
 * in about a second or two. Worst case per store: 2 attempts x 700 ms + the SDK's short backoff.
 */
export const FAST_FAILOVER_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 400,
  requestTimeoutMs: 700,
  maxAttempts: 2,
};

/**
 * For a large body's S3 write at ingest: up to 5 MB in one PutObject, so a longer request than a
 * store's small write; still bounded, so that a silent S3 is a 503 within about nine seconds.
 */
export const PAYLOAD_WRITE_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 400,
  requestTimeoutMs: 4_000,
  maxAttempts: 2,
};

/** For background work (forwarder bookkeeping, drainer): patient but still bounded. */
export const BACKGROUND_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 3_000,
  maxAttempts: 3,
};

/** For an operator's calls (gd): a person waits, so failing after seconds beats a long hang. */
export const OPERATOR_TIMEOUTS: ClientTimeouts = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
  maxAttempts: 3,
};

/** Options shared by every client. `endpoint` overrides the SDK's own `AWS_ENDPOINT_URL[_SQS|_DYNAMODB]`. */
export interface ClientOptions {
  /** @default BACKGROUND_TIMEOUTS */
  readonly timeouts?: ClientTimeouts;
  readonly endpoint?: string;
  readonly region?: string;
  /** Fixed credentials (an emulator's); the SDK's provider chain otherwise. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The configuration every AWS client of this repository is built with, whatever its service: the
 * timeouts and attempts, endpoint, region and credentials of `options`.
 */
export function awsClientConfig(options: ClientOptions = {}) {
  const timeouts = options.timeouts ?? BACKGROUND_TIMEOUTS;
  return {
    maxAttempts: timeouts.maxAttempts,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.requestTimeoutMs,
    }),
  };
}

/**
 * Every AWS client of this repository is made here: `new Client(awsClientConfig(options))`, and its
 * calls recorded when a test installed a recorder (shared/aws/call-recorder.ts; nothing otherwise).
 */
export function createAwsClient<T extends Parameters<typeof recordCalls>[0]>(
  Client: new (config: ReturnType<typeof awsClientConfig> & { forcePathStyle?: boolean }) => T,
  options: ClientOptions = {},
  extra: { forcePathStyle?: boolean } = {},
): T {
  return recordCalls(new Client({ ...awsClientConfig(options), ...extra }));
}

/** An SQS client with {@link awsClientConfig}'s timeouts. */
export function createSqsClient(options: ClientOptions = {}): SQSClient {
  return createAwsClient(SQSClient, options);
}

/** A DynamoDB client with {@link awsClientConfig}'s timeouts. */
export function createDynamoDbClient(options: ClientOptions = {}): DynamoDBClient {
  return createAwsClient(DynamoDBClient, options);
}

/** A Secrets Manager client with {@link awsClientConfig}'s timeouts (signing secrets). */
export function createSecretsManagerClient(options: ClientOptions = {}): SecretsManagerClient {
  return createAwsClient(SecretsManagerClient, options);
}

/** The document client over `client`; undefined attributes are left out rather than rejected. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** An S3 client; with an explicit endpoint (an emulator) path-style, since emulators have no bucket DNS names. */
export function createS3Client(options: ClientOptions = {}): S3Client {
  return createAwsClient(S3Client, options, options.endpoint ? { forcePathStyle: true } : {});
}
