import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../errors.js';
import type { PayloadReference } from '../payloads.js';
import type { PayloadFetch, PayloadSource, PayloadStore } from '../ports.js';

/**
 * The payload bucket (shared/payloads.ts): the ingest puts a large body's exact bytes, the forwarder
 * gets them back. One object per body, its key from the reference; the SHA-256 rides along as
 * object metadata for an operator who finds one by hand.
 */
export class S3PayloadStore implements PayloadStore, PayloadSource {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async put(reference: PayloadReference, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: reference.key,
        Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
        ContentType: contentType,
        ContentLength: reference.size,
        Metadata: { sha256: reference.sha256 },
      }),
    );
  }

  async fetch(reference: PayloadReference): Promise<PayloadFetch> {
    try {
      const output = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: reference.key }));
      const bytes = await output.Body?.transformToByteArray();
      return { kind: 'found', bytes: bytes ?? new Uint8Array() };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        return { kind: 'missing', reason: `no object ${reference.key} in bucket ${this.bucket}` };
      }
      return {
        kind: 'unavailable',
        reason: `GetObject of ${reference.key} in bucket ${this.bucket} failed: ${describeError(error)}`,
      };
    }
  }
}
