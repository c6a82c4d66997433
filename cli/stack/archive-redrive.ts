import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { attributesForRedrive } from '../../shared/archived-message.js';
import type { S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { describeError } from '../../shared/errors.js';
import type { Progress } from '../progress-bar.js';
import type { RouteTarget } from './stack-target.js';

export interface ArchiveRedriveOptions {
  /** Only these message ids; @default every archived message of the route */
  readonly ids?: readonly string[];
  /** Messages per second; undefined for as fast as SQS goes. */
  readonly ratePerSecond?: number;
  readonly onProgress?: (progress: Progress) => void;
}

/** What a redrive from the archive did for one route. */
export interface ArchiveRedriveOutcome {
  readonly moved: number;
  /** Archived messages that stayed in the archive because a step failed. */
  readonly failed: number;
  /** Ids asked for that the archive does not hold. */
  readonly notFound: readonly string[];
  readonly errors: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Puts archived messages back on their route's delivery queue as the same messages: body and every
 * attribute (the message id among them, the attempts made so far), then deletes the archive object.
 * Only after SQS confirmed the send is the object deleted; a crash between the two leaves a copy in
 * the archive, which a second redrive delivers at most once (idempotency on the message id).
 */
export async function redriveFromArchive(
  sqs: SQSClient,
  archive: S3ArchiveStore,
  route: RouteTarget,
  options: ArchiveRedriveOptions,
): Promise<ArchiveRedriveOutcome> {
  const entries = await archive.list(route.name);
  const wanted = options.ids && options.ids.length > 0 ? new Set(options.ids) : undefined;
  const chosen = wanted ? entries.filter((entry) => wanted.has(entry.id)) : entries;
  const found = new Set(chosen.map((entry) => entry.id));
  const notFound = wanted ? [...wanted].filter((id) => !found.has(id)) : [];
  const startedAt = Date.now();
  const errors: string[] = [];
  let moved = 0;
  for (const [index, entry] of chosen.entries()) {
    try {
      const archived = await archive.get(route.name, entry.id);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: route.queueUrl,
          MessageBody: archived.body,
          MessageAttributes: attributesForRedrive(archived),
        }),
      );
      await archive.delete(route.name, entry.id);
      moved++;
    } catch (error) {
      errors.push(`${entry.id}: ${describeError(error)}`);
    }
    options.onProgress?.({ done: index + 1, total: chosen.length });
    if (options.ratePerSecond !== undefined && options.ratePerSecond > 0) {
      const due = startedAt + ((index + 1) / options.ratePerSecond) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  return { moved, failed: chosen.length - moved, notFound, errors };
}
