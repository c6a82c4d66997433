import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { StackBindings } from '../../shared/config/function-config.js';
import {
  archiveThresholds,
  deadLetterThresholds,
  type RetentionConfig,
} from '../../shared/config/operations.js';
import { ConfigurationError } from '../../shared/errors.js';
import { queueNamePatterns } from '../../shared/resource-names.js';
import { DeliveryFunction } from './delivery-function.js';
import type { DeliveryRoute } from './delivery-route.js';
import { grantOnQueuePatterns } from './queue-patterns.js';
import { routeTableAsset } from './route-table.js';

/** How long the archive bucket keeps an archived message before its lifecycle rule deletes it. */
export const ARCHIVE_EXPIRATION_DAYS = 365;

/** Properties of a {@link MessageArchive}. */
export interface MessageArchiveProps {
  /** The routes whose delivery queues and DLQs are watched. */
  readonly routes: readonly DeliveryRoute[];
  /** What every function of the stack is told (tables, queue naming). */
  readonly bindings: StackBindings;
  /** The stack's resource prefix: the archiver may read `<prefix>_q_*` and `<prefix>_dlq_*`. */
  readonly namePrefix: string;
  /** Queue retention, archive margin and archiver interval (shared/config/operations.ts). */
  readonly retention: RetentionConfig;
  /**
   * Where the "nearing retention" alarms notify.
   * @default - alarms without notifications
   */
  readonly alarmTopic?: ITopic;
  /**
   * Days an archived message is kept before the bucket's lifecycle rule deletes it.
   * @default ARCHIVE_EXPIRATION_DAYS (365)
   */
  readonly expirationDays?: number;
  /**
   * Whether each queue gets its "nearing retention" alarm. Without them the route's dead-letter and
   * oldest-message alarms fire long before (on any dead letter; after minutes of waiting), and the
   * archiver archives all the same: two alarms a route saved (ROUTE_ALARMS=essential).
   * @default true
   */
  readonly retentionAlarms?: boolean;
}

/**
 * Nothing expires silently: an S3 bucket (encrypted, SSL only, no public access, versioned, with a
 * lifecycle), the archiver function that moves messages nearing their queue's retention into it on
 * a schedule, and per queue an alarm that fires before the archiver has to act.
 */
export class MessageArchive extends Construct {
  /** Archived messages, one JSON object per message at `<route>/<id>.json`. */
  public readonly bucket: Bucket;
  /** Moves messages nearing retention to {@link bucket}. */
  public readonly archiverFunction: DeliveryFunction;
  /** The archiver's EventBridge schedule. */
  public readonly schedule: Rule;
  /** One "nearing retention" alarm per delivery queue and DLQ. */
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: MessageArchiveProps) {
    const expirationDays = props.expirationDays ?? ARCHIVE_EXPIRATION_DAYS;
    if (!Number.isInteger(expirationDays) || expirationDays < 1) {
      throw new ConfigurationError(
        `MessageArchive: expirationDays must be a whole number of days >= 1, got ${expirationDays}`,
      );
    }
    super(scope, id);
    const { retention } = props;

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // An archived message is deleted when redriven; versions keep it a while against a mistake.
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-archived-messages',
          expiration: Duration.days(expirationDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Archived messages are accepted messages: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the archiver role and operators (gd) touch the bucket, through IAM; CloudTrail S3 data events are the audit trail where one is needed, without a second log bucket to keep.',
    });

    this.archiverFunction = new DeliveryFunction(this, 'Archiver', {
      name: 'archiver',
      description: 'Moves queued messages and dead letters nearing SQS retention to the archive bucket',
      timeout: Duration.minutes(5),
      // A failed run is retried by the next scheduled one.
      retryAttempts: 0,
      assetFiles: routeTableAsset(props.routes.map((route) => route.route)),
    });
    const archiver = this.archiverFunction;
    archiver.setConfigDocument(
      {
        stack: props.bindings,
        bucketName: this.bucket.bucketName,
        queueRetentionSeconds: retention.queueRetentionSeconds,
        archiveMarginSeconds: retention.archiveMarginSeconds,
      },
      'the archiver',
    );
    // Every route's queues: it receives, releases and deletes on both kinds, and re-sends young
    // messages to a delivery queue.
    const patterns = queueNamePatterns(props.namePrefix);
    const reason =
      "The archiver serves every route: it may read and re-send the stack's queues, named <prefix>_q_<route> and <prefix>_dlq_<route>, and no others.";
    grantOnQueuePatterns(
      archiver,
      [
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueUrl',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      ],
      [patterns.deliveryQueues, patterns.deadLetterQueues],
      reason,
    );
    grantOnQueuePatterns(archiver, ['sqs:SendMessage'], [patterns.deliveryQueues], reason);
    Grant.addToPrincipal({
      grantee: archiver,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects('*')],
    });
    // The archiver walks a queue only when CloudWatch says its oldest message is old enough.
    Grant.addToPrincipal({ grantee: archiver, actions: ['cloudwatch:GetMetricData'], resourceArns: ['*'] });
    Validations.of(archiver.role ?? archiver).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "cloudwatch:GetMetricData (the queues' ApproximateAgeOfOldestMessage) and X-Ray support no resource-level permissions.",
    });
    Validations.of(archiver.role ?? archiver).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/*]`,
      reason:
        'One object per archived message, keyed by route and message id: the keys are not known in advance.',
    });

    const alarms: Alarm[] = [];
    for (const route of props.retentionAlarms === false ? [] : props.routes) {
      const name = route.route.name;
      // A DLQ's alarm is on the age CloudWatch reports, which on a standard DLQ counts from a dead
      // letter's move, not from its first arrival as its retention does (deadLetterThresholds).
      const watched = [
        {
          source: 'delivery-queue' as const,
          queue: route.queue,
          thresholds: archiveThresholds(retention, retention.queueRetentionSeconds),
        },
        {
          source: 'dead-letter-queue' as const,
          queue: route.deadLetterQueue,
          thresholds: deadLetterThresholds(retention, route.route.ordering !== undefined),
        },
      ];
      for (const { source, queue, thresholds } of watched) {
        // Beside its route (in the route's nested stack): adding a route changes its own group only.
        const alarm = new Alarm(
          route,
          `${route.node.id}${source === 'delivery-queue' ? 'Queue' : 'Dlq'}NearingRetention`,
          {
            alarmDescription:
              `${name}: the oldest message on the ${source} is ${thresholds.alarmAfterSeconds} s old by CloudWatch's count; at ` +
              `${thresholds.archiveAfterSeconds} s since it first arrived the archiver moves it to S3 (gd archive list, gd redrive --from-archive)`,
            metric: queue.metricApproximateAgeOfOldestMessage({
              period: Duration.minutes(5),
              statistic: 'Maximum',
            }),
            threshold: thresholds.alarmAfterSeconds,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          },
        );
        if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
        alarms.push(alarm);
      }
    }
    this.alarms = alarms;

    const minutes = Math.max(1, Math.ceil(retention.archiveIntervalSeconds / 60));
    this.schedule = new Rule(this, 'Schedule', {
      description: `Runs the archiver every ${minutes} minute(s)`,
      // EventBridge rates are whole minutes.
      schedule: Schedule.rate(Duration.minutes(minutes)),
      targets: [new LambdaFunction(archiver)],
    });
  }
}
