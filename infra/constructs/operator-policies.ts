import { Aws, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { queueNamePatterns, signingSecretPattern } from '../../shared/resource-names.js';
import type { ContinuingDelivery } from './continuing-delivery.js';
import type { DeliveryRoute } from './delivery-route.js';

/** Properties of {@link OperatorPolicies}: what `gd` reaches in this stack. */
export interface OperatorPoliciesProps {
  readonly routes: readonly DeliveryRoute[];
  /**
   * The stack's resource prefix: the routes' queues are granted by their name patterns
   * (`<prefix>_q_*`, `<prefix>_dlq_*`), so the policies do not grow with the routes (a managed
   * policy holds at most 6,144 characters, "IAM and AWS STS quotas").
   * @default - each route's queues, one by one
   */
  readonly namePrefix?: string;
  readonly messageTable: ITable;
  readonly failoverTable: ITable;
  readonly drainerFunction: IFunction;
  readonly archiveBucket: IBucket;
  /** Large bodies: `gd dlq show` prints or saves a dead letter's. @default - none */
  readonly payloadBucket?: IBucket;
  /** @default - no state machines to start or follow */
  readonly continuingDelivery?: ContinuingDelivery;
  /** The API key's id, when the API requires keys (`gd send` reads its value). @default - none */
  readonly apiKeyId?: string;
}

/**
 * The permissions of the operator's CLI (`gd`, docs/runbook.md) as two managed policies to attach
 * to the operators' roles: `readOnly` for what only looks (status, dlq list and show, message,
 * archive list, following a continuing-delivery execution) and `operator` for the commands that
 * change state (redrive, pause and resume, drain, keep-trying, send, signing, redrive from the
 * archive), which also need `readOnly`. Every statement names this stack's resources; the IAM checks
 * of `npm run test:aws-rules` evaluate every call `gd` makes against them.
 */
export class OperatorPolicies extends Construct {
  public readonly readOnly: ManagedPolicy;
  public readonly operator: ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPoliciesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const patterns = props.namePrefix ? queueNamePatterns(props.namePrefix) : undefined;
    const patternArn = (pattern: string) =>
      `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${pattern}`;
    const queues = patterns
      ? [patternArn(patterns.deliveryQueues)]
      : props.routes.map((route) => route.queue.queueArn);
    const deadLetterQueues = patterns
      ? [patternArn(patterns.deadLetterQueues)]
      : props.routes.map((route) => route.deadLetterQueue.queueArn);
    // With the prefix, nothing below grows with the routes: a managed policy holds at most 6,144
    // characters ("IAM and AWS STS quotas"), which one ARN a route used up at about 17 routes.
    // Mappings by the function they feed: Lambda's lambda:FunctionArn condition key applies to
    // Get/Update/DeleteEventSourceMapping ("Resources and conditions for Lambda actions",
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
    const mappingStatement = (actions: string[]) =>
      props.namePrefix
        ? new PolicyStatement({
            actions,
            resources: [`arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-source-mapping:*`],
            conditions: {
              ArnLike: {
                'lambda:FunctionArn': `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${props.namePrefix}_fwd_*`,
              },
            },
          })
        : new PolicyStatement({
            actions,
            resources: props.routes.map((route) => route.eventSourceMapping.eventSourceMappingArn),
          });
    const tables = [props.messageTable.tableArn, props.failoverTable.tableArn];
    const continuing = props.continuingDelivery;
    const sharedMachines = continuing?.arnPrefix !== undefined;
    const stateMachines = sharedMachines ? [] : (continuing?.routes.map((route) => route.stateMachine) ?? []);
    const machineArns = sharedMachines
      ? [`${continuing?.arnPrefix}*`]
      : stateMachines.map((machine) => machine.stateMachineArn);
    const executionArns = sharedMachines
      ? [`arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${props.namePrefix}_cd_*:*`]
      : stateMachines.map(
          (machine) =>
            `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${machine.stateMachineName}:*`,
        );
    // Generated signing secrets by their derived names; a secret the routes file names, as given.
    const generatedSecrets =
      props.namePrefix !== undefined && props.routes.some((r) => r.route.signing && !r.route.signing.secret);
    const signingSecrets = [
      ...(generatedSecrets
        ? [
            `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${signingSecretPattern(props.namePrefix as string)}`,
          ]
        : []),
      ...props.routes.flatMap((route) =>
        route.signingSecret && (props.namePrefix === undefined || route.route.signing?.secret)
          ? [route.signingSecret.secretArn]
          : [],
      ),
    ];

    this.readOnly = new ManagedPolicy(this, 'ReadOnly', {
      description: `gd's read-only commands on stack ${stack.stackName}: status, dlq list/show (large bodies too), message, archive list`,
      statements: [
        new PolicyStatement({
          // gd finds the stack by name through its outputs.
          actions: ['cloudformation:DescribeStacks'],
          resources: [stack.stackId],
        }),
        new PolicyStatement({
          actions: ['sqs:GetQueueAttributes'],
          resources: [...queues, ...deadLetterQueues],
        }),
        // dlq list / show peek: received, then made visible again at once.
        new PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility'],
          resources: deadLetterQueues,
        }),
        mappingStatement(['lambda:GetEventSourceMapping']),
        // Status records and breaker items (message table), a message's failover item.
        new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: tables }),
        // gd message looks for an id still in the failover table through its age index.
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${props.failoverTable.tableArn}/index/*`],
        }),
        // ApproximateAgeOfOldestMessage: CloudWatch's GetMetricData has no resource-level permissions.
        new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.archiveBucket.bucketArn] }),
        // dlq show prints (or saves) a dead letter's large body.
        ...(props.payloadBucket
          ? [
              new PolicyStatement({
                actions: ['s3:GetObject'],
                resources: [props.payloadBucket.arnForObjects('*')],
              }),
            ]
          : []),
        ...(executionArns.length > 0
          ? [
              new PolicyStatement({
                actions: ['states:DescribeExecution'],
                // Pseudo parameters rather than stack.formatArn: the ARN (and so the acknowledged
                // finding below) is the same whether or not the stack is bound to a region.
                resources: executionArns,
              }),
            ]
          : []),
      ],
    });

    this.operator = new ManagedPolicy(this, 'Operator', {
      description: `gd's commands that change stack ${stack.stackName}: redrive, pause/resume, drain, keep-trying, send, signing`,
      statements: [
        // redrive: a move task runs with the caller's rights on both queues; a filtered redrive and
        // the archive's redrive move messages themselves.
        new PolicyStatement({
          actions: [
            'sqs:StartMessageMoveTask',
            'sqs:ListMessageMoveTasks',
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueAttributes',
          ],
          resources: deadLetterQueues,
        }),
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: queues }),
        // pause / resume: the route's event source mapping, and the pause noted on its breaker item.
        mappingStatement(['lambda:UpdateEventSourceMapping']),
        new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [props.messageTable.tableArn] }),
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [props.drainerFunction.functionArn],
        }),
        ...(machineArns.length > 0
          ? [new PolicyStatement({ actions: ['states:StartExecution'], resources: machineArns })]
          : []),
        ...(signingSecrets.length > 0
          ? [
              new PolicyStatement({
                actions: [
                  'secretsmanager:GetSecretValue',
                  'secretsmanager:PutSecretValue',
                  'secretsmanager:DescribeSecret',
                ],
                resources: signingSecrets,
              }),
            ]
          : []),
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:DeleteObject'],
          resources: [props.archiveBucket.arnForObjects('*')],
        }),
        ...(props.apiKeyId
          ? [
              new PolicyStatement({
                actions: ['apigateway:GET'],
                resources: [
                  stack.formatArn({
                    service: 'apigateway',
                    account: '',
                    resource: '/apikeys',
                    resourceName: props.apiKeyId,
                  }),
                ],
              }),
            ]
          : []),
      ],
    });
    // Wildcards only where the resource is not known at deploy time (AwsSolutions-IAM5 names each).
    const logicalId = (construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    Validations.of(this.readOnly).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "CloudWatch's GetMetricData (the queues' oldest-message age) supports no resource-level permissions.",
      },
      ...stateMachines.map((machine) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalId(machine)}.Name>:*]`,
        reason:
          "Following gd keep-trying's executions: their names are made at start, under this state machine only.",
      })),
    );
    if (props.namePrefix !== undefined) {
      const prefix = props.namePrefix;
      for (const policy of [this.readOnly, this.operator]) {
        Validations.of(policy).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:event-source-mapping:*]',
          reason: `Event source mapping ids are made at deploy time: only the mappings of this stack's forwarders (${prefix}_fwd_*), by the lambda:FunctionArn condition.`,
        });
      }
      if (sharedMachines) {
        Validations.of(this.readOnly).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${prefix}_cd_*:*]`,
          reason:
            "Following gd keep-trying's executions: their names are made at start, under this stack's state machines only.",
        });
        Validations.of(this.operator).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:stateMachine:${prefix}_cd_*]`,
          reason:
            "gd keep-trying starts any route's continuing delivery: this stack's state machines, named <prefix>_cd_<route>.",
        });
      }
      if (generatedSecrets) {
        Validations.of(this.operator).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${signingSecretPattern(prefix)}]`,
          reason:
            "gd signing show and rotate: this stack's generated signing secrets, named <prefix>/<route>/signing.",
        });
      }
    }
    Validations.of(this.readOnly).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.failoverTable)}.Arn>/index/*]`,
      reason: "gd message finds an id still in the failover table through the table's indexes.",
    });
    for (const pattern of patterns ? [patterns.deliveryQueues, patterns.deadLetterQueues] : []) {
      for (const policy of [this.readOnly, this.operator]) {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${pattern}]`,
          reason:
            "gd reaches every route's queues: this stack's, by the names they share (<prefix>_q_<route>, <prefix>_dlq_<route>), and no others.",
        });
      }
    }
    if (props.payloadBucket) {
      Validations.of(this.readOnly).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId(props.payloadBucket)}.Arn>/*]`,
        reason:
          "gd dlq show reads a dead letter's large body, keyed by route, message id and SHA-256 when accepted, in this bucket only.",
      });
    }
    Validations.of(this.operator).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(props.archiveBucket)}.Arn>/*]`,
      reason:
        'gd redrive --from-archive reads and deletes archived messages, whose keys are made when archived, in this bucket only.',
    });
  }
}
