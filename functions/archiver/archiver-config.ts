import type { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createAwsClient, createS3Client, createSqsClient } from '../../shared/aws/clients.js';
import { cloudWatchQueueAge, type QueueAge } from '../../shared/aws/queue-age.js';
import { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import type { Env } from '../../shared/config/env-names.js';
import {
  archiverDocumentSchema,
  parseConfigDocument,
  type QueueNaming,
  readConfigDocument,
} from '../../shared/config/function-config.js';
import {
  archiveThresholds,
  deadLetterThresholds,
  type RetentionConfig,
} from '../../shared/config/operations.js';
import { readRouteTable, routeTableFromAsset } from '../../shared/config/route-table.js';
import { createLogger } from '../../shared/logger.js';
import { type NamedRoute, queueUrls } from '../../shared/resource-names.js';
import type { ArchiverDeps, ArchiveTarget } from './archive-expiring.js';

/** Logger service name of the archiver. */
export const ARCHIVER_SERVICE = 'archiver';

export interface ArchiverConfig {
  readonly bucketName: string;
  readonly targets: readonly ArchiveTarget[];
}

/** Each route's delivery queue and DLQ, with the age at which their messages are archived. */
export function archiveTargets(
  naming: QueueNaming,
  routes: readonly NamedRoute[],
  retention: Pick<RetentionConfig, 'queueRetentionSeconds' | 'archiveMarginSeconds'>,
): ArchiveTarget[] {
  const queueArchiveAfter = archiveThresholds(retention, retention.queueRetentionSeconds).archiveAfterSeconds;
  return routes.flatMap((route) => {
    const urls = queueUrls(naming, route);
    const deadLetters = deadLetterThresholds(retention, route.ordering !== undefined);
    return [
      {
        route: route.name,
        source: 'delivery-queue' as const,
        queueUrl: urls.queueUrl,
        archiveAfterSeconds: queueArchiveAfter,
      },
      {
        route: route.name,
        source: 'dead-letter-queue' as const,
        queueUrl: urls.dlqUrl,
        archiveAfterSeconds: deadLetters.archiveAfterSeconds,
        walkAfterSeconds: deadLetters.walkAfterSeconds,
      },
    ];
  });
}

/** The archiver's configuration from its document and the route table; throws naming the field at fault. */
export function archiverConfig(document: unknown, routeTable: unknown): ArchiverConfig {
  const { stack, bucketName, ...retention } = parseConfigDocument(
    archiverDocumentSchema,
    document,
    'archiver',
  );
  const routes = readRouteTable(routeTable, 'archiver route table');
  return { bucketName, targets: archiveTargets(stack.queues, routes, retention) };
}

/** On Lambda: the document in FUNCTION_CONFIG, the route table from the asset. */
export function loadArchiverConfig(env: Env): ArchiverConfig {
  return archiverConfig(readConfigDocument(env), routeTableFromAsset());
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
