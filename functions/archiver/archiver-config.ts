import type { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createAwsClient, createS3Client, createSqsClient } from '../../shared/aws/clients.js';
import { cloudWatchQueueAge, type QueueAge } from '../../shared/aws/queue-age.js';
import { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { ENV, type Env, requireEnv } from '../../shared/config/env-names.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import type { ArchiverDeps, ArchiveTarget } from './archive-expiring.js';

/** Logger service name of the archiver. */
export const ARCHIVER_SERVICE = 'archiver';

export interface ArchiverConfig {
  readonly bucketName: string;
  readonly targets: readonly ArchiveTarget[];
}

function isTarget(value: unknown): value is ArchiveTarget {
  const target = value as Partial<ArchiveTarget> | null;
  return (
    typeof target === 'object' &&
    target !== null &&
    typeof target.route === 'string' &&
    (target.source === 'delivery-queue' || target.source === 'dead-letter-queue') &&
    typeof target.queueUrl === 'string' &&
    typeof target.archiveAfterSeconds === 'number' &&
    target.archiveAfterSeconds >= 0
  );
}

/** Reads the archiver's environment once at cold start; a malformed target list fails it, naming the value. */
export function loadArchiverConfig(env: Env): ArchiverConfig {
  const raw = requireEnv(env, ENV.ARCHIVE_TARGETS);
  let targets: unknown;
  try {
    targets = JSON.parse(raw);
  } catch {
    targets = undefined;
  }
  if (!Array.isArray(targets) || !targets.every(isTarget)) {
    throw new ConfigurationError(
      `${ENV.ARCHIVE_TARGETS} must be a JSON list of {route, source: delivery-queue|dead-letter-queue, queueUrl, archiveAfterSeconds}, got '${raw}'`,
    );
  }
  return { bucketName: requireEnv(env, ENV.ARCHIVE_BUCKET_NAME), targets };
}

export interface ArchiverOverrides {
  readonly sqsEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly logger?: Logger;
  /**
   * Where queue ages come from; `null` walks every queue on every run (an emulator without
   * CloudWatch). @default CloudWatch's ApproximateAgeOfOldestMessage
   */
  readonly oldestAge?: QueueAge | null;
}

export function createArchiverDeps(config: ArchiverConfig, overrides: ArchiverOverrides = {}): ArchiverDeps {
  const sqs = createSqsClient({ endpoint: overrides.sqsEndpoint });
  return {
    sqs,
    archive: new S3ArchiveStore(createS3Client({ endpoint: overrides.s3Endpoint }), config.bucketName),
    ...(overrides.oldestAge === null
      ? {}
      : { oldestAge: overrides.oldestAge ?? cloudWatchQueueAge(createAwsClient(CloudWatchClient)) }),
    logger: overrides.logger ?? createLogger(ARCHIVER_SERVICE),
  };
}
