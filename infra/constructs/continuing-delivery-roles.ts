import { Aws, Validations } from 'aws-cdk-lib';
import { type IRuleTarget, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import { queueNamePatterns } from '../../shared/resource-names.js';

/** The ARN of an SQS name pattern of this stack's account and region. */
export const queuePatternArn = (pattern: string) =>
  `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${pattern}`;

/**
 * The one role every route's continuing-delivery state machine runs as: the SQS calls of its tasks
 * on the routes' queues by their name patterns (a move task reads and deletes on the DLQ and sends
 * to the queue with the caller's rights, StartMessageMoveTask's documented permissions), publishing
 * to the topic; the state machines add their logging and tracing statements, the same for each. One
 * role instead of one a route: IAM allows 1,000 roles an account by default ("IAM and AWS STS
 * quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html), and a route's
 * own role would only repeat the same statements on its own queues.
 */
export function sharedStateMachineRole(
  scope: Construct,
  namePrefix: string,
  topic: ITopic | undefined,
): Role {
  const role = new Role(scope, 'Role', {
    assumedBy: new ServicePrincipal('states.amazonaws.com'),
    description: 'Runs the continuing-delivery state machine of every route',
  });
  const patterns = queueNamePatterns(namePrefix);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [
        'sqs:GetQueueAttributes',
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
      ],
      resources: [queuePatternArn(patterns.deadLetterQueues)],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: [queuePatternArn(patterns.deliveryQueues)],
    }),
  );
  // SNS refuses a publish to an SSE-KMS topic whose sender may not use the key: grantPublish adds both.
  topic?.grantPublish(role);
  for (const pattern of [patterns.deadLetterQueues, patterns.deliveryQueues]) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${pattern}]`,
      reason:
        "Every route's state machine runs as this role: this stack's queues, by the names they share (<prefix>_q_<route>, <prefix>_dlq_<route>), and no others.",
    });
  }
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      "Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments, ...) support no resource-level permissions; the SQS and SNS actions are on this stack's queues and topic.",
  });
  if (topic?.masterKey) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        "Publishing to an SSE-KMS topic needs kms:GenerateDataKey* on the topic's key (the SNS Developer Guide names the action so); granted on that one key only.",
    });
  }
  return role;
}

/** One role for every route's schedule (EventBridge's target would make one a state machine). */
export function sharedScheduleRole(scope: Construct, namePrefix: string, arnPrefix: string): Role {
  const role = new Role(scope, 'ScheduleRole', {
    assumedBy: new ServicePrincipal('events.amazonaws.com'),
    description: "Starts the routes' continuing-delivery state machines on their schedule",
  });
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:StartExecution'], resources: [`${arnPrefix}*`] }),
  );
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${namePrefix}_cd_*]`,
    reason:
      "Starts this stack's continuing-delivery state machines, named <prefix>_cd_<route>, and no others.",
  });
  return role;
}

/** A state machine without X-Ray (TRACING is not active): cdk-nag's SF2, acknowledged with the reason. */
export function acknowledgeUntraced(stateMachine: IConstruct): void {
  Validations.of(stateMachine).acknowledge({
    id: 'AwsSolutions-SF2',
    reason:
      'X-Ray tracing is a choice of the deployment (TRACING=active), billed per trace: the execution history and its log group tell each round already.',
  });
}

/**
 * A schedule's target that starts `stateMachine` as the shared schedule role, which may start every
 * route's by its name pattern already: EventBridge's SfnStateMachine target would add a statement
 * naming each state machine to the role, so its policy would grow with the routes.
 */
export function scheduleTarget(stateMachine: IStateMachine, role: IRole): IRuleTarget {
  return {
    bind: () => ({
      arn: stateMachine.stateMachineArn,
      role,
      input: RuleTargetInput.fromObject({ startedBy: 'schedule' }),
    }),
  };
}
