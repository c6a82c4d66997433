import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ContinuingDelivery } from '../../infra/constructs/continuing-delivery.js';
import type {
  ContinuingDeliveryProps,
  RedriveRoute,
} from '../../infra/constructs/continuing-delivery-props.js';
import {
  archiveThresholds,
  DEFAULT_OPERATIONS_CONFIG,
  deadLetterThresholds,
  loadOperationsConfig,
} from '../../shared/config/operations.js';

/** A delivery queue and its DLQ, as the route builds them (names fixed so the DLQ can allow the queue). */
function standInRoute(stack: Stack, name: string): RedriveRoute {
  const deliveryQueueArn = stack.formatArn({ service: 'sqs', resource: `${name}-delivery` });
  const deadLetterQueue = new Queue(stack, `${name}Dlq`, {
    queueName: `${name}-fail-messages`,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    redriveAllowPolicy: {
      redrivePermission: RedrivePermission.BY_QUEUE,
      sourceQueues: [Queue.fromQueueArn(stack, `${name}QueueRef`, deliveryQueueArn)],
    },
  });
  Validations.of(deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'Test stand-in of a DLQ.' });
  const queue = new Queue(stack, `${name}Queue`, {
    queueName: `${name}-delivery`,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 4 },
  });
  return { route: { name }, queue, deadLetterQueue };
}

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly construct: ContinuingDelivery;
  readonly routes: readonly RedriveRoute[];
}

function build(
  props: Partial<ContinuingDeliveryProps> = {},
  options: { nag?: boolean; topic?: boolean; topicKey?: boolean } = {},
): Built {
  const app = new App();
  const stack = new Stack(app, 'RedriveTest', { env: { account: '111122223333', region: 'eu-west-1' } });
  const routes = [standInRoute(stack, 'catering'), standInRoute(stack, 'orders')];
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const masterKey = options.topicKey ? new Key(stack, 'OnCallKey', { enableKeyRotation: true }) : undefined;
  const notificationTopic = options.topic
    ? new Topic(stack, 'OnCall', { enforceSSL: true, ...(masterKey ? { masterKey } : {}) })
    : undefined;
  if (notificationTopic) {
    Validations.of(notificationTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Test stand-in of the alarm topic (DeliveryMonitoring creates the real one encrypted).',
    });
  }
  const construct = new ContinuingDelivery(stack, 'ContinuingDelivery', {
    routes,
    notificationTopic,
    ...props,
  });
  return { app, stack, construct, routes };
}

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Next?: string;
  readonly Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  readonly Choices?: Record<string, unknown>[];
  readonly Default?: string;
  readonly SecondsPath?: string;
  readonly Error?: string;
  readonly Cause?: string;
}

interface Definition {
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
}

/**
 * The route's state machine definition as parsed ASL; queue ARNs and URLs (CloudFormation references)
 * become `<logicalId.Attribute>` / `<logicalId>` so assertions can say which queue each call uses.
 */
function definitionOf(stack: Stack, construct: ContinuingDelivery, route: string): Definition {
  const resolved = stack.resolve(
    (construct.stateMachineFor(route).node.defaultChild as { definitionString?: unknown }).definitionString,
  ) as string | { 'Fn::Join': [string, unknown[]] };
  const parts = typeof resolved === 'string' ? [resolved] : resolved['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref.Ref) return `<${ref.Ref}>`;
      if (ref['Fn::GetAtt']) return `<${ref['Fn::GetAtt'].join('.')}>`;
      return '<token>';
    })
    .join('');
  return JSON.parse(text) as Definition;
}

const logicalId = (stack: Stack, queue: unknown) =>
  stack.getLogicalId((queue as Queue).node.defaultChild as never);

describe('ContinuingDelivery state machine', () => {
  it("moves the route's DLQ into its delivery queue with StartMessageMoveTask", () => {
    // Prepare / Act
    const { stack, construct, routes } = build();

    // Assess
    const route = routes[0] as RedriveRoute;
    const { States } = definitionOf(stack, construct, 'catering');
    const move = States.StartMoveTask as AslState;
    expect(move.Resource).toBe('arn:<AWS::Partition>:states:::aws-sdk:sqs:startMessageMoveTask');
    expect(move.Parameters).toEqual({
      SourceArn: `<${logicalId(stack, route.deadLetterQueue)}.Arn>`,
      DestinationArn: `<${logicalId(stack, route.queue)}.Arn>`,
    });
    const count = States.CountDeadLetters as AslState;
    expect(count.Resource).toBe('arn:<AWS::Partition>:states:::aws-sdk:sqs:getQueueAttributes');
    expect(count.Parameters).toMatchObject({
      QueueUrl: `<${logicalId(stack, route.deadLetterQueue)}>`,
      AttributeNames: ['ApproximateNumberOfMessages'],
    });
    // The other route's machine uses its own queues.
    const other = definitionOf(stack, construct, 'orders').States.StartMoveTask as AslState;
    expect(other.Parameters?.SourceArn).toBe(`<${logicalId(stack, routes[1]?.deadLetterQueue)}.Arn>`);
  });

  it('waits with doubling waits from the initial wait, capped at maxWait, for at most maxRounds redrives', () => {
    // Prepare / Act
    const { stack, construct } = build({
      initialWait: Duration.minutes(2),
      maxWait: Duration.hours(3),
      maxRounds: 7,
    });

    // Assess
    const { States } = definitionOf(stack, construct, 'catering');
    expect(States.Start?.Parameters).toEqual({ round: 0, waitSeconds: 120 });
    expect(States.WaitRound).toMatchObject({ Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'NextRound' });
    expect(States.NextRound?.Parameters).toEqual({
      'round.$': 'States.MathAdd($.round, 1)',
      'waitSeconds.$': 'States.MathAdd($.waitSeconds, $.waitSeconds)',
    });
    expect(States['WaitAboveCap?']?.Choices).toEqual([
      { Variable: '$.waitSeconds', NumericGreaterThan: 10_800, Next: 'CapWait' },
    ]);
    expect(States.CapWait?.Parameters).toEqual({ 'round.$': '$.round', waitSeconds: 10_800 });
    expect(States['DeadLettersLeft?']?.Choices).toEqual([
      { Variable: '$.dlq.depth', NumericEquals: 0, Next: 'NoDeadLetters' },
      { Variable: '$.round', NumericGreaterThanEquals: 7, Next: 'GaveUp' },
    ]);
    expect(States['DeadLettersLeft?']?.Default).toBe('StartMoveTask');
  });

  it('uses 5 minutes, 6 hours and 10 rounds by default, and a timeout that covers every wait', () => {
    // Prepare / Act
    const { stack, construct } = build();

    // Assess
    const { States } = definitionOf(stack, construct, 'catering');
    expect(States.Start?.Parameters).toEqual({ round: 0, waitSeconds: 300 });
    expect(States.CapWait?.Parameters).toMatchObject({ waitSeconds: 21_600 });
    expect(States['DeadLettersLeft?']?.Choices?.[1]).toMatchObject({ NumericGreaterThanEquals: 10 });
    // 300+600+...+19200 (7 rounds) + 3 × 21600 = 102,900 s of waits, plus an hour.
    expect(definitionOf(stack, construct, 'catering').TimeoutSeconds).toBe(106_500);
  });

  it('notifies the topic and fails with a cause naming the commands when dead letters remain', () => {
    // Prepare / Act
    const { stack, construct } = build({}, { topic: true });

    // Assess
    const { States } = definitionOf(stack, construct, 'catering');
    const notify = States.NotifyGaveUp as AslState;
    expect(notify.Resource).toBe('arn:<AWS::Partition>:states:::sns:publish');
    expect(notify.Parameters).toMatchObject({
      TopicArn: `<${logicalId(stack, stack.node.findChild('OnCall'))}>`,
    });
    expect(String(notify.Parameters?.['Message.$'])).toMatch(
      /^States\.Format\('Continuing delivery of route catering gave up/,
    );
    expect(notify.Next).toBe('GaveUp');
    // A failed notification still ends in the same failure.
    expect(notify.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: 'GaveUp' },
    ]);
    expect(States.GaveUp).toMatchObject({ Type: 'Fail', Error: 'DeadLettersRemain' });
    expect(States.GaveUp?.Cause).toContain('after 10 redrives');
    expect(States.GaveUp?.Cause).toContain('npx gd dlq list --route catering');
    expect(States.GaveUp?.Cause).toContain('npx gd redrive --route catering');
  });

  it('fails without notifying when there is no topic', () => {
    // Prepare / Act
    const { stack, construct } = build();

    // Assess
    const { States } = definitionOf(stack, construct, 'catering');
    expect(States.NotifyGaveUp).toBeUndefined();
    expect(States['DeadLettersLeft?']?.Choices?.[1]).toMatchObject({ Next: 'GaveUp' });
  });

  it('treats a move task already running as this round and fails on any other start error', () => {
    // Prepare / Act
    const { stack, construct, routes } = build();

    // Assess
    const { States } = definitionOf(stack, construct, 'catering');
    expect(States.StartMoveTask?.Catch).toEqual([
      { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.moveError', Next: 'ListMoveTasks' },
    ]);
    expect(States.StartMoveTask?.Next).toBe('WaitRound');
    expect(States.ListMoveTasks).toMatchObject({
      Resource: 'arn:<AWS::Partition>:states:::aws-sdk:sqs:listMessageMoveTasks',
      Parameters: { SourceArn: `<${logicalId(stack, routes[0]?.deadLetterQueue)}.Arn>`, MaxResults: 1 },
      Next: 'MoveRunning?',
    });
    expect(States['MoveRunning?']).toMatchObject({
      Choices: [{ Variable: '$.moveTasks.tasks[0].Status', IsPresent: true, Next: 'MoveTaskStatus?' }],
      Default: 'CouldNotStartMove',
    });
    // A task being cancelled still holds the DLQ (StartMessageMoveTask refuses a second one): wait too.
    expect(States['MoveTaskStatus?']).toMatchObject({
      Choices: [
        {
          Or: [
            { Variable: '$.moveTasks.tasks[0].Status', StringEquals: 'RUNNING' },
            { Variable: '$.moveTasks.tasks[0].Status', StringEquals: 'CANCELLING' },
          ],
          Next: 'WaitRound',
        },
      ],
      Default: 'CouldNotStartMove',
    });
    expect(States.CouldNotStartMove).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.moveError.Error',
      CausePath: '$.moveError.Cause',
    });
  });

  it('passes a move rate limit when given', () => {
    // Prepare / Act
    const { stack, construct } = build({ maxMessagesPerSecond: 20 });

    // Assess
    const { States } = definitionOf(stack, construct, 'catering');
    expect(States.StartMoveTask?.Parameters).toMatchObject({ MaxNumberOfMessagesPerSecond: 20 });
  });

  it('logs every event to a log group with retention, and traces', () => {
    // Prepare / Act
    const { stack } = build();

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('ContinuingDelivery permissions', () => {
  it('grants exactly the SQS actions of the redrive, on the exact queues', () => {
    // Prepare / Act
    const { stack, construct, routes } = build();

    // Assess
    const template = Template.fromStack(stack);
    const roleId = stack.getLogicalId(construct.stateMachineFor('catering').role.node.defaultChild as never);
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    );
    expect(policies).toHaveLength(1);
    const allStatements: { Action: string | string[]; Resource: unknown }[] =
      policies[0]?.Properties.PolicyDocument.Statement ?? [];
    const statements = allStatements.filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')));
    const byResource = new Map<string, Set<string>>();
    for (const statement of statements) {
      for (const resource of [statement.Resource].flat()) {
        const key = JSON.stringify(resource);
        const actions = byResource.get(key) ?? new Set<string>();
        for (const action of [statement.Action].flat()) actions.add(action.toLowerCase());
        byResource.set(key, actions);
      }
    }
    const route = routes[0] as RedriveRoute;
    const dlqArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, route.deadLetterQueue), 'Arn'] });
    const queueArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack, route.queue), 'Arn'] });
    expect([...byResource.keys()].sort()).toEqual([dlqArn, queueArn].sort());
    expect([...(byResource.get(dlqArn) ?? [])].sort()).toEqual([
      'sqs:deletemessage',
      'sqs:getqueueattributes',
      'sqs:listmessagemovetasks',
      'sqs:receivemessage',
      'sqs:startmessagemovetask',
    ]);
    expect([...(byResource.get(queueArn) ?? [])]).toEqual(['sqs:sendmessage']);
  });

  it('may use the KMS key of an encrypted notification topic, as SNS requires of a publisher', () => {
    // Prepare / Act: a topic with a customer key, as DeliveryMonitoring creates the alarm topic
    const { stack, construct } = build({}, { topic: true, topicKey: true });

    // Assess: the state machine's role may generate data keys and decrypt with exactly that key
    const key = stack.node.findChild('OnCallKey') as Key;
    const roleId = stack.getLogicalId(construct.stateMachineFor('catering').role.node.defaultChild as never);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
      .flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
      }),
    );
  });

  it('may publish to the notification topic', () => {
    // Prepare / Act
    const { stack } = build({}, { topic: true });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sns:Publish',
            Resource: { Ref: logicalId(stack, stack.node.findChild('OnCall')) },
          }),
        ]),
      },
    });
  });
});

describe('ContinuingDelivery schedule', () => {
  it('has no schedule unless one is given', () => {
    // Prepare / Act
    const { stack, construct } = build();

    // Assess
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
    expect(construct.routes.every((r) => r.rule === undefined)).toBe(true);
  });

  it("starts each route's state machine on the given schedule", () => {
    // Prepare / Act
    const { stack, construct } = build({ schedule: Schedule.rate(Duration.hours(12)) });

    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(12 hours)',
      Targets: [
        Match.objectLike({
          Arn: { Ref: stack.getLogicalId(construct.stateMachineFor('catering').node.defaultChild as never) },
          Input: JSON.stringify({ startedBy: 'schedule' }),
        }),
      ],
    });
  });
});

describe('ContinuingDelivery checks', () => {
  it('passes the cdk-nag AWS Solutions checks', () => {
    // Prepare
    const { app } = build({ schedule: Schedule.rate(Duration.hours(12)) }, { nag: true, topic: true });

    // Act / Assess: synth throws, listing each finding, if any is not acknowledged.
    expect(() => app.synth()).not.toThrow();
  });

  it('fails with maxRounds 0', () => {
    expect(() => build({ maxRounds: 0 })).toThrow(/maxRounds must be a whole number from 1 to 100, got 0/);
  });

  it('fails with a fractional maxRounds', () => {
    expect(() => build({ maxRounds: 2.5 })).toThrow(/maxRounds .* got 2\.5/);
  });

  it('fails with a zero initial wait', () => {
    expect(() => build({ initialWait: Duration.seconds(0) })).toThrow(
      /initialWait must be at least 1 whole second, got 0 s/,
    );
  });

  it('fails with a cap below the initial wait', () => {
    expect(() => build({ initialWait: Duration.hours(1), maxWait: Duration.minutes(30) })).toThrow(
      /maxWait must be whole seconds from initialWait \(3600 s\).*got 1800 s/,
    );
  });

  it('fails when every wait together is longer than an execution may run', () => {
    expect(() => build({ maxWait: Duration.days(7), maxRounds: 100 })).toThrow(
      /more than a Step Functions execution may run/,
    );
  });

  it('fails with a move rate above 500', () => {
    expect(() => build({ maxMessagesPerSecond: 501 })).toThrow(/maxMessagesPerSecond .* got 501/);
  });

  it('rejects an unknown route name', () => {
    const { construct } = build();
    expect(() => construct.stateMachineFor('nope')).toThrow(/no route 'nope'; known: catering, orders/);
  });
});

describe('loadOperationsConfig', () => {
  it('gives the defaults when nothing is set: state machines without schedule, no alarm email', () => {
    expect(loadOperationsConfig({})).toEqual(DEFAULT_OPERATIONS_CONFIG);
    expect(DEFAULT_OPERATIONS_CONFIG).toMatchObject({
      oldestMessageAlarmSeconds: 900,
      continuingDelivery: { enabled: true, initialWaitSeconds: 300, maxWaitSeconds: 21_600, maxRounds: 10 },
    });
  });

  it('reads every override from the environment', () => {
    // Prepare
    const env = {
      ALARM_EMAIL: ' oncall@example.com ',
      OLDEST_MESSAGE_ALARM_SECONDS: '600',
      AUTO_REDRIVE: 'TRUE',
      AUTO_REDRIVE_SCHEDULE_MINUTES: '720',
      AUTO_REDRIVE_INITIAL_WAIT_SECONDS: '120',
      AUTO_REDRIVE_MAX_WAIT_SECONDS: '3600',
      AUTO_REDRIVE_MAX_ROUNDS: '4',
      QUEUE_RETENTION_SECONDS: '86400',
      ARCHIVE_MARGIN_SECONDS: '7200',
      ARCHIVE_INTERVAL_SECONDS: '600',
      ROUTE_ALARMS: ' All ',
      API_DETAILED_METRICS: 'true',
      TRACING: 'active',
    };

    // Act
    const config = loadOperationsConfig(env);

    // Assess
    expect(config).toEqual({
      alarmEmail: 'oncall@example.com',
      oldestMessageAlarmSeconds: 600,
      continuingDelivery: {
        enabled: true,
        scheduleMinutes: 720,
        initialWaitSeconds: 120,
        maxWaitSeconds: 3600,
        maxRounds: 4,
      },
      retention: { queueRetentionSeconds: 86_400, archiveMarginSeconds: 7200, archiveIntervalSeconds: 600 },
      cost: { routeAlarms: 'all', apiDetailedMetrics: true, tracing: true },
    });
  });

  it('keeps queues 7 days (their DLQs 14), archives 2 days before and alarms a day before that by default', () => {
    // Act
    const { retention } = loadOperationsConfig({});

    // Assess
    expect(retention).toEqual({
      queueRetentionSeconds: 7 * 86_400,
      archiveMarginSeconds: 172_800,
      archiveIntervalSeconds: 3600,
    });
    expect(archiveThresholds(retention, 7 * 86_400)).toEqual({
      archiveAfterSeconds: 5 * 86_400,
      alarmAfterSeconds: 4 * 86_400,
    });
    // A standard DLQ's age as CloudWatch reports it counts from a dead letter's move, up to the
    // delivery queue's 7 days after its first arrival, from which its 14 days count.
    expect(deadLetterThresholds(retention, false)).toEqual({
      archiveAfterSeconds: 12 * 86_400,
      walkAfterSeconds: 5 * 86_400,
      alarmAfterSeconds: 4 * 86_400,
    });
    expect(deadLetterThresholds(retention, true)).toEqual({
      archiveAfterSeconds: 12 * 86_400,
      walkAfterSeconds: 12 * 86_400,
      alarmAfterSeconds: 11 * 86_400,
    });
  });

  it('rejects a retention SQS does not allow and a margin or interval that would let messages expire', () => {
    expect(() => loadOperationsConfig({ QUEUE_RETENTION_SECONDS: '1209601' })).toThrow(
      /QUEUE_RETENTION_SECONDS must be a whole number from 60 to 1209600, got '1209601'/,
    );
    expect(() => loadOperationsConfig({ QUEUE_RETENTION_SECONDS: '1209600' })).toThrow(
      /QUEUE_RETENTION_SECONDS \(1209600\) must be at most 1123200, a day less than the dead-letter queues' 1209600/,
    );
    expect(() =>
      loadOperationsConfig({ QUEUE_RETENTION_SECONDS: '600', ARCHIVE_MARGIN_SECONDS: '600' }),
    ).toThrow(/ARCHIVE_MARGIN_SECONDS \(600\) must be less than QUEUE_RETENTION_SECONDS \(600\)/);
    expect(() =>
      loadOperationsConfig({ ARCHIVE_MARGIN_SECONDS: '3600', ARCHIVE_INTERVAL_SECONDS: '3600' }),
    ).toThrow(/ARCHIVE_INTERVAL_SECONDS \(3600\) must be less than ARCHIVE_MARGIN_SECONDS \(3600\)/);
  });

  it('turns continuing delivery off with AUTO_REDRIVE=false', () => {
    expect(loadOperationsConfig({ AUTO_REDRIVE: 'false' }).continuingDelivery.enabled).toBe(false);
  });

  it('rejects bad values, naming each variable and its value', () => {
    expect(() =>
      loadOperationsConfig({ AUTO_REDRIVE_MAX_ROUNDS: '0', AUTO_REDRIVE: 'yes', ALARM_EMAIL: 'oncall' }),
    ).toThrow(
      /ALARM_EMAIL must be an email address, got 'oncall'; AUTO_REDRIVE must be 'true' or 'false', got 'yes'; AUTO_REDRIVE_MAX_ROUNDS must be a whole number from 1 to 100, got '0'/,
    );
    expect(() => loadOperationsConfig({ OLDEST_MESSAGE_ALARM_SECONDS: '-5' })).toThrow(
      /OLDEST_MESSAGE_ALARM_SECONDS must be a whole number from 60 to \d+, got '-5'/,
    );
  });

  it('rejects a cap below the initial wait, and a schedule with AUTO_REDRIVE=false', () => {
    expect(() => loadOperationsConfig({ AUTO_REDRIVE_MAX_WAIT_SECONDS: '60' })).toThrow(
      /AUTO_REDRIVE_MAX_WAIT_SECONDS \(60\) must be at least AUTO_REDRIVE_INITIAL_WAIT_SECONDS \(300\)/,
    );
    expect(() =>
      loadOperationsConfig({ AUTO_REDRIVE: 'false', AUTO_REDRIVE_SCHEDULE_MINUTES: '60' }),
    ).toThrow(/AUTO_REDRIVE_SCHEDULE_MINUTES is '60' but AUTO_REDRIVE is 'false'/);
  });
});
