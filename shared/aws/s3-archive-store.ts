import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ArchivedMessage } from '../archived-message.js';
import { describeError, GuaranteedDeliveryError } from '../errors.js';

/** An archive call failed; the message stays where it was (on its queue, or in the archive). */
export class ArchiveError extends GuaranteedDeliveryError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

/** One archived message as a listing shows it (without reading the object). */
export interface ArchiveEntry {
  readonly route: string;
  readonly id: string;
  readonly key: string;
  readonly size: number;
  readonly archivedAt?: string;
}

/**
 * Archived messages in an S3 bucket, one JSON object per message at `<route>/<id>.json` (the id
 * URI-encoded, as a client's Idempotency-Key may hold any character). Keyed on the message id, so
 * archiving the same message twice (a retry after a crash) leaves one object.
 */
export class S3ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  static key(route: string, id: string): string {
    return `${route}/${encodeURIComponent(id)}.json`;
  }

  async put(message: ArchivedMessage): Promise<void> {
    await this.call(`PutObject of ${message.id}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: S3ArchiveStore.key(message.route, message.id),
          Body: JSON.stringify(message),
          ContentType: 'application/json',
        }),
      ),
    );
  }

  /** Archived messages of a route, oldest key first as S3 lists them, up to `limit`. */
  async list(route: string, limit = Number.POSITIVE_INFINITY): Promise<ArchiveEntry[]> {
    const entries: ArchiveEntry[] = [];
    let token: string | undefined;
    do {
      const output = await this.call('ListObjectsV2', () =>
        this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${route}/`, ContinuationToken: token }),
        ),
      );
      for (const object of output.Contents ?? []) {
        const name = object.Key?.slice(route.length + 1).replace(/\.json$/, '') ?? '';
        entries.push({
          route,
          id: decodeURIComponent(name),
          key: object.Key ?? '',
          size: object.Size ?? 0,
          ...(object.LastModified ? { archivedAt: object.LastModified.toISOString() } : {}),
        });
        if (entries.length >= limit) return entries;
      }
      token = output.IsTruncated ? output.NextContinuationToken : undefined;
    } while (token);
    return entries;
  }

  async get(route: string, id: string): Promise<ArchivedMessage> {
    const output = await this.call(`GetObject of ${id}`, () =>
      this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: S3ArchiveStore.key(route, id) })),
    );
    return JSON.parse((await output.Body?.transformToString()) ?? '') as ArchivedMessage;
  }

  async delete(route: string, id: string): Promise<void> {
    await this.call(`DeleteObject of ${id}`, () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: S3ArchiveStore.key(route, id) })),
    );
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new ArchiveError(`${what} in bucket ${this.bucket} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
}
