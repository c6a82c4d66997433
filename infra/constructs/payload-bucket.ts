import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.js';
import { payloadPrefix } from '../../shared/payloads.js';

/** Properties of a {@link PayloadBucket}. */
export interface PayloadBucketProps {
  /**
   * Days an object is kept before the lifecycle rule deletes it: as long as anything may still refer
   * to it (the status record's retention, the archive's), since the stack never deletes one itself.
   */
  readonly expirationDays: number;
  /** The status record's retention in days: {@link expirationDays} may not be shorter. */
  readonly recordRetentionDays: number;
  /**
   * What deleting the stack does to the bucket.
   * @default RemovalPolicy.RETAIN (the bodies of accepted messages, which the retained tables refer to)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The bodies too large for a queue message or a failover item (shared/payloads.ts): one object per
 * body at `<route>/<id>/<sha256>`, written once by the ingest before the message is stored, read by
 * the route's forwarder before each attempt. Encrypted, SSL only, no public access; each route's
 * objects under its own prefix, so a grant names the prefix of its route alone.
 */
export class PayloadBucket extends Construct {
  /** The bucket. */
  public readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: PayloadBucketProps) {
    const { expirationDays, recordRetentionDays } = props;
    if (!Number.isInteger(expirationDays) || expirationDays < recordRetentionDays) {
      throw new ConfigurationError(
        `PayloadBucket: expirationDays must be a whole number of days no shorter than the status record's retention (${recordRetentionDays}), got ${expirationDays}: a message's body must outlive every reference to it`,
      );
    }
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Off: an object is written once and never changed by the stack (a key names its body's
      // SHA-256), the forwarder checks that hash before sending, and a deleted object is dead-lettered
      // with its reason. Versions would only keep every body a second time, at the storage's price.
      versioned: false,
      lifecycleRules: [
        {
          id: 'expire-payloads',
          // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
          expiration: Duration.days(expirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the ingest (put, serving every route), the forwarders (get, each under its route prefix) and operators (gd) touch the bucket, through IAM; CloudTrail S3 data events are the audit trail where one is needed.',
    });
  }

  /** The objects of these routes (`<bucket>/<route>/*` each). */
  private objectsOf(routes: readonly string[]): string[] {
    return routes.map((route) => this.bucket.arnForObjects(`${payloadPrefix(route)}*`));
  }

  /**
   * s3:PutObject on every route's objects: the ingest, which serves every route and writes a body
   * before storing its message. One statement, not one per route prefix, which would grow the
   * ingest's policy with the routes past IAM's 6,144 characters of a managed policy (21,094 at 200
   * routes; "IAM and AWS STS quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
   */
  grantPutPayloads(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects('*')],
    });
    this.acknowledgeObjects(
      grantee,
      ['*'],
      "One object per large body, keyed by route, message id and SHA-256; the ingest serves every route, so its grant is the bucket's objects.",
    );
    return grant;
  }

  /** s3:GetObject under each route's prefix: a route's forwarder, which sends its large bodies. */
  grantReadPayloads(grantee: IGrantable, routes: readonly string[]): Grant {
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: this.objectsOf(routes),
    });
    this.acknowledgeObjects(
      grantee,
      routes.map((route) => `${payloadPrefix(route)}*`),
      'One object per large body, keyed by route, message id and SHA-256: the keys are not known in advance; the grant names the route prefix.',
    );
    return grant;
  }

  /** cdk-nag's finding on each object wildcard (`<bucket>/<pattern>`), acknowledged on the grantee's role. */
  private acknowledgeObjects(grantee: IGrantable, patterns: readonly string[], reason: string): void {
    const principal = grantee.grantPrincipal;
    if (!(principal instanceof Construct)) return;
    // As cdk-nag names the bucket in the grantee's template: the bucket's Arn attribute in its own
    // stack, the parameter CDK passes it as in a nested stack (a route's forwarder in its group).
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never);
    const inOwnStack = Stack.of(principal) === Stack.of(this);
    const bucket = inOwnStack
      ? `${bucketId}.Arn`
      : `referenceto${Names.nodeUniqueId((this.bucket.node.defaultChild as Construct).node)}Arn`;
    Validations.of(principal).acknowledge(
      ...patterns.map((pattern) => ({ id: `AwsSolutions-IAM5[Resource::<${bucket}>/${pattern}]`, reason })),
    );
  }
}
