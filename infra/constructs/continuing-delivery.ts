// Over 300 lines: the continuing-delivery state machine, state by state, with what it may do, reads as
// one definition; its props (continuing-delivery-props.ts) and shared roles (-roles.ts) are apart.
import { Aws, Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import { Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { Grant, IGrantable, Role } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  type IChainable,
  JsonPath,
  LogLevel,
  Pass,
  StateMachine,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, SnsPublish } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ACTIVE_MOVE_TASK_STATUSES } from '../../shared/aws/message-move-tasks.js';
import { COMPONENT, COMPONENT_TAG, ROUTE_TAG } from '../../shared/config/component-tags.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { ConfigurationError } from '../../shared/errors.js';
import { continuingDeliveryName, queueNamePatterns } from '../../shared/resource-names.js';
import {
  CONTINUING_DELIVERY_DEFAULTS,
  type ContinuingDeliveryProps,
  EXECUTION_MARGIN,
  planWaits,
  type RedriveRoute,
  type WaitPlan,
} from './continuing-delivery-props.js';
import {
  acknowledgeUntraced,
  queuePatternArn,
  scheduleTarget,
  sharedScheduleRole,
  sharedStateMachineRole,
} from './continuing-delivery-roles.js';
import { definedOnly } from './defined-props.js';

/** The continuing-delivery workflow of one route. */
export interface ContinuingDeliveryRoute {
  readonly name: string;
  readonly stateMachine: StateMachine;
  /** The schedule that starts it, when {@link ContinuingDeliveryProps.schedule} is set. */
  readonly rule?: Rule;
}

/**
 * "Keep trying until delivered" (docs/runbook.md, "Keep trying until delivered"): per route,
 * a Step Functions workflow that redrives the DLQ into the delivery queue with StartMessageMoveTask,
 * waits with doubling waits (capped) while dead letters remain, and after `maxRounds` redrives
 * notifies and fails with a cause that says what to do.
 *
 * Each round: count the DLQ (none left → succeed) → start a move task (one already running, e.g.
 * a `gd redrive`, counts as this round's) → wait → next round with twice the wait.
 */
export class ContinuingDelivery extends Construct {
  /** One workflow per route, in the order given. */
  public readonly routes: readonly ContinuingDeliveryRoute[];
  /** Execution logs of every route's state machine. */
  public readonly logGroup: LogGroup;
  /** The role every state machine runs as, with {@link ContinuingDeliveryProps.namePrefix}. */
  public readonly sharedRole?: Role;
  /** A route's state machine ARN is this followed by its name, with {@link ContinuingDeliveryProps.namePrefix}. */
  public readonly arnPrefix?: string;
  private readonly scheduleRole?: Role;

  constructor(scope: Construct, id: string, props: ContinuingDeliveryProps) {
    super(scope, id);
    const settings = { ...CONTINUING_DELIVERY_DEFAULTS, ...definedOnly(props) };
    const plan = planWaits(props, settings.initialWait, settings.maxWait, settings.maxRounds);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    if (props.namePrefix !== undefined) {
      this.arnPrefix = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${props.namePrefix}_cd_`;
      this.sharedRole = sharedStateMachineRole(this, props.namePrefix, props.notificationTopic);
      if (props.schedule) this.scheduleRole = sharedScheduleRole(this, props.namePrefix, this.arnPrefix);
    }
    this.routes = props.routes.map((route) => {
      // Beside its route (in the route's nested stack) when the role is shared.
      const parent = this.sharedRole && route instanceof Construct ? route : this;
      const stateMachine = this.createStateMachine(parent, route, plan, props);
      const rule = props.schedule
        ? new Rule(parent, `${routeOutputPrefix(route.route.name)}Schedule`, {
            description: `Starts continuing delivery (DLQ redrive with growing waits) of route ${route.route.name}`,
            schedule: props.schedule,
            targets: [
              this.scheduleRole
                ? scheduleTarget(stateMachine, this.scheduleRole)
                : new SfnStateMachine(stateMachine, {
                    input: RuleTargetInput.fromObject({ startedBy: 'schedule' }),
                  }),
            ],
          })
        : undefined;
      return { name: route.route.name, stateMachine, rule };
    });
  }

  /** The workflow of a route; throws naming the known routes when there is none. */
  public stateMachineFor(routeName: string): StateMachine {
    const found = this.routes.find((r) => r.name === routeName);
    if (!found) {
      throw new ConfigurationError(
        `ContinuingDelivery: no route '${routeName}'; known: ${this.routes.map((r) => r.name).join(', ')}`,
      );
    }
    return found.stateMachine;
  }

  /** Lets `grantee` (e.g. an operator role running `gd`) start and follow every route's executions. */
  public grantStartAndRead(grantee: IGrantable): Grant[] {
    return this.routes.flatMap((r) => [
      r.stateMachine.grantStartExecution(grantee),
      r.stateMachine.grantRead(grantee),
    ]);
  }

  private createStateMachine(
    parent: Construct,
    route: RedriveRoute,
    plan: WaitPlan,
    props: ContinuingDeliveryProps,
  ): StateMachine {
    const name = route.route.name;
    const id = routeOutputPrefix(name);
    const dlq = route.deadLetterQueue;
    const scope = new Construct(parent, parent === this ? id : 'ContinuingDelivery');
    const shared = this.sharedRole !== undefined && props.namePrefix !== undefined;
    // Shared role: the tasks name the DLQs by pattern, so its statements are the same for every route.
    const dlqResource = shared
      ? queuePatternArn(queueNamePatterns(props.namePrefix as string).deadLetterQueues)
      : dlq.queueArn;

    const start = new Pass(scope, 'Start', {
      comment: 'Round 0 with the initial wait; the execution input is not used',
      parameters: { round: 0, waitSeconds: plan.initialWaitSeconds },
    });
    const countDeadLetters = new CallAwsService(scope, 'CountDeadLetters', {
      comment: 'ApproximateNumberOfMessages of the DLQ',
      service: 'sqs',
      action: 'getQueueAttributes',
      parameters: { QueueUrl: dlq.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] },
      iamResources: [dlqResource],
      iamAction: 'sqs:GetQueueAttributes',
      resultSelector: { 'depth.$': 'States.StringToJson($.Attributes.ApproximateNumberOfMessages)' },
      resultPath: '$.dlq',
    });
    countDeadLetters.addRetry({
      errors: [Errors.TASKS_FAILED],
      interval: Duration.seconds(5),
      maxAttempts: 3,
      backoffRate: 2,
    });

    const moveParameters: Record<string, unknown> = {
      SourceArn: dlq.queueArn,
      DestinationArn: route.queue.queueArn,
    };
    if (props.maxMessagesPerSecond !== undefined)
      moveParameters.MaxNumberOfMessagesPerSecond = props.maxMessagesPerSecond;
    const startMove = new CallAwsService(scope, 'StartMoveTask', {
      comment:
        'Redrive: move the DLQ back into the delivery queue (asynchronous, one task per queue at a time)',
      service: 'sqs',
      action: 'startMessageMoveTask',
      parameters: moveParameters,
      iamResources: [dlqResource],
      iamAction: 'sqs:StartMessageMoveTask',
      resultSelector: { 'taskHandle.$': '$.TaskHandle' },
      resultPath: '$.move',
    });

    // SQS answers "a task is already running" with an error whose name differs between sources
    // (InvalidParameterValue, UnsupportedOperation): rather than matching names, ask SQS whether a
    // task is running. If one is, this round's redrive is under way; if not, the error was real.
    const listMoves = new CallAwsService(scope, 'ListMoveTasks', {
      comment: 'Is a move task from the DLQ running already?',
      service: 'sqs',
      action: 'listMessageMoveTasks',
      parameters: { SourceArn: dlq.queueArn, MaxResults: 1 },
      iamResources: [dlqResource],
      iamAction: 'sqs:ListMessageMoveTasks',
      resultSelector: { 'tasks.$': '$.Results' },
      resultPath: '$.moveTasks',
    });
    const couldNotStart = new Fail(scope, 'CouldNotStartMove', {
      comment: 'StartMessageMoveTask failed and no task is running',
      errorPath: '$.moveError.Error',
      causePath: '$.moveError.Cause',
    });
    startMove.addCatch(listMoves, { errors: [Errors.TASKS_FAILED], resultPath: '$.moveError' });

    const wait = new Wait(scope, 'WaitRound', {
      comment: 'Let the forwarder work through the redriven messages',
      time: WaitTime.secondsPath('$.waitSeconds'),
    });
    const nextRound = new Pass(scope, 'NextRound', {
      comment: 'One more round, twice the wait',
      parameters: {
        'round.$': 'States.MathAdd($.round, 1)',
        'waitSeconds.$': 'States.MathAdd($.waitSeconds, $.waitSeconds)',
      },
    });
    const capWait = new Pass(scope, 'CapWait', {
      comment: `Waits stop growing at ${plan.maxWaitSeconds} s`,
      parameters: { 'round.$': '$.round', waitSeconds: plan.maxWaitSeconds },
    });
    const waitCapped = new Choice(scope, 'WaitAboveCap?')
      .when(Condition.numberGreaterThan('$.waitSeconds', plan.maxWaitSeconds), capWait.next(countDeadLetters))
      .otherwise(countDeadLetters);
    const runningAlready = new Choice(scope, 'MoveRunning?')
      .when(
        // Two steps: comparing a path that is missing (no task ever) would be a runtime error.
        Condition.isPresent('$.moveTasks.tasks[0].Status'),
        new Choice(scope, 'MoveTaskStatus?')
          // A task being cancelled still holds the DLQ (ACTIVE_MOVE_TASK_STATUSES): wait, as for a running one.
          .when(
            Condition.or(
              ...ACTIVE_MOVE_TASK_STATUSES.map((status) =>
                Condition.stringEquals('$.moveTasks.tasks[0].Status', status),
              ),
            ),
            wait,
          )
          .otherwise(couldNotStart),
      )
      .otherwise(couldNotStart);
    listMoves.next(runningAlready);
    startMove.next(wait);
    wait.next(nextRound);
    nextRound.next(waitCapped);

    const cause =
      `Dead letters remain in the ${name} DLQ after ${plan.maxRounds} redrives. ` +
      `Inspect: npx gd dlq list --route ${name}; after fixing the backend: npx gd redrive --route ${name}`;
    const gaveUp = new Fail(scope, 'GaveUp', { error: 'DeadLettersRemain', cause });
    let giveUp: IChainable = gaveUp;
    if (props.notificationTopic) {
      const notify = new SnsPublish(scope, 'NotifyGaveUp', {
        comment: 'Tell on-call before failing',
        topic: props.notificationTopic,
        subject: `Continuing delivery of ${name} gave up`,
        message: TaskInput.fromText(
          JsonPath.format(
            `Continuing delivery of route ${name} gave up: {} dead letters remain after {} redrives. Inspect: npx gd dlq list --route ${name}. After fixing the backend: npx gd redrive --route ${name}`,
            JsonPath.stringAt('$.dlq.depth'),
            JsonPath.stringAt('$.round'),
          ),
        ),
        resultPath: JsonPath.DISCARD,
      });
      // Failing to notify must not hide the outcome: the execution fails either way.
      notify.addCatch(gaveUp, { errors: [Errors.ALL], resultPath: '$.notifyError' });
      giveUp = notify.next(gaveUp);
    }

    const delivered = new Succeed(scope, 'NoDeadLetters', { comment: 'The DLQ is empty' });
    const decide = new Choice(scope, 'DeadLettersLeft?')
      .when(Condition.numberEquals('$.dlq.depth', 0), delivered)
      .when(Condition.numberGreaterThanEquals('$.round', plan.maxRounds), giveUp)
      .otherwise(startMove);
    countDeadLetters.next(decide);

    const stateMachine = new StateMachine(scope, 'StateMachine', {
      comment: `Continuing delivery of route ${name}: redrive its DLQ with growing waits, at most ${plan.maxRounds} times`,
      definitionBody: DefinitionBody.fromChainable(start.next(countDeadLetters)),
      timeout: Duration.seconds(plan.worstCaseSeconds).plus(EXECUTION_MARGIN),
      tracingEnabled: props.tracing ?? true,
      ...(shared && this.sharedRole
        ? {
            role: this.sharedRole,
            stateMachineName: continuingDeliveryName(props.namePrefix as string, name),
          }
        : {}),
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    Tags.of(stateMachine).add(COMPONENT_TAG, COMPONENT.CONTINUING_DELIVERY);
    Tags.of(stateMachine).add(ROUTE_TAG, name);
    if (props.tracing === false) acknowledgeUntraced(stateMachine);
    if (shared) return stateMachine;
    // The move task reads and deletes on the DLQ and sends to the queue with the caller's rights
    // (StartMessageMoveTask's documented permissions); nothing else of either queue.
    dlq.grant(stateMachine, 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes');
    dlq.encryptionMasterKey?.grantDecrypt(stateMachine);
    route.queue.grant(stateMachine, 'sqs:SendMessage');
    route.queue.encryptionMasterKey?.grantEncryptDecrypt(stateMachine);
    // SnsPublish grants sns:Publish alone, but the alarm topic is encrypted with a customer KMS key,
    // and SNS refuses a publish whose sender may not use it (kms:GenerateDataKey*, kms:Decrypt):
    // grantPublish adds both on the topic's key, when it has one.
    props.notificationTopic?.grantPublish(stateMachine);
    if (props.notificationTopic?.masterKey) {
      Validations.of(stateMachine.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          "Publishing to an SSE-KMS topic needs kms:GenerateDataKey* on the topic's key (the SNS Developer Guide names the action so); granted on that one key only.",
      });
    }
    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments, ...) support no resource-level permissions; the SQS and SNS actions are on exact ARNs.',
    });
    return stateMachine;
  }
}
