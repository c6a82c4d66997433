import type { RecordedCall } from '../../shared/aws/call-recorder.js';
import type { DeploymentTarget } from './deployment-names.js';

/**
 * What IAM authorizes for one recorded SDK call: the action (`sqs:SendMessage`), the resource ARN
 * and the request context keys AWS sets. One call may need several (a batch over two tables, a
 * transaction, StartMessageMoveTask's rights on both queues). Each action and resource type is the
 * one the Service Authorization Reference lists for the operation
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Why this request exists when it is not the call's own (e.g. "StartMessageMoveTask reads the source"). */
  readonly implied?: string;
  /** Context keys the service sets for this request (beyond the account's and TLS). */
  readonly context?: Record<string, string>;
}

/** Names the emulator gave that the call's input does not carry (a secret's ARN suffix). */
export interface ResourceDirectory {
  /** The full ARN of a secret named `name` (Secrets Manager appends a random suffix). */
  secretArn(name: string): string | undefined;
  /** The ARN of the function an event source mapping (by its UUID) feeds. */
  mappingFunctionArn(uuid: string): string | undefined;
}

/** An error for a call the mapping does not know: every new call must be added here, not passed by. */
export class UnmappedCallError extends Error {
  constructor(call: RecordedCall) {
    super(`no IAM mapping for ${call.client}.${call.operation}: add it to test/aws-rules/iam-requests.ts`);
    this.name = 'UnmappedCallError';
  }
}

/** The IAM requests of a recorded call in `target`'s account and region. */
export function iamRequestsOf(
  call: RecordedCall,
  target: DeploymentTarget,
  directory: ResourceDirectory,
): IamRequest[] {
  const { region, account } = target;
  const input = call.input;
  const str = (key: string) => String(input[key] ?? '');
  const queueArn = (url: string) => {
    // https://sqs.<region>.amazonaws.com/<account>/<name>, or an emulator's http://host/<account>/<name>
    const [name, owner] = url.split('/').reverse();
    return `arn:aws:sqs:${region}:${owner ?? account}:${name}`;
  };
  const tableArn = (name: string, index?: string) =>
    `arn:aws:dynamodb:${region}:${account}:table/${name}${index ? `/index/${index}` : ''}`;
  const one = (action: string, resource: string): IamRequest[] => [{ action, resource }];
  const secret = (id: string) =>
    id.startsWith('arn:')
      ? id
      : (directory.secretArn(id) ?? `arn:aws:secretsmanager:${region}:${account}:secret:${id}`);
  const bucket = (name: string) => `arn:aws:s3:::${name}`;

  switch (call.client) {
    case 'SQSClient': {
      const queue = input.QueueUrl ? queueArn(str('QueueUrl')) : '';
      switch (call.operation) {
        case 'SendMessageBatch':
          return one('sqs:SendMessage', queue);
        case 'DeleteMessageBatch':
          return one('sqs:DeleteMessage', queue);
        case 'ChangeMessageVisibilityBatch':
          return one('sqs:ChangeMessageVisibility', queue);
        case 'GetQueueUrl':
          return one(
            'sqs:GetQueueUrl',
            `arn:aws:sqs:${region}:${str('QueueOwnerAWSAccountId') || account}:${str('QueueName')}`,
          );
        case 'ListQueues':
          return one('sqs:ListQueues', '*');
        case 'StartMessageMoveTask': {
          // The move runs with the caller's rights: read and delete on the source, send to the
          // destination (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html).
          const source = str('SourceArn');
          const implied = "StartMessageMoveTask moves with the caller's permissions";
          return [
            { action: 'sqs:StartMessageMoveTask', resource: source },
            { action: 'sqs:ReceiveMessage', resource: source, implied },
            { action: 'sqs:DeleteMessage', resource: source, implied },
            { action: 'sqs:GetQueueAttributes', resource: source, implied },
            ...(input.DestinationArn
              ? [{ action: 'sqs:SendMessage', resource: str('DestinationArn'), implied }]
              : []),
          ];
        }
        case 'ListMessageMoveTasks':
          return one('sqs:ListMessageMoveTasks', str('SourceArn'));
        case 'CancelMessageMoveTask':
          return one('sqs:CancelMessageMoveTask', '*');
        default:
          // SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes,
          // SetQueueAttributes, TagQueue, UntagQueue, ListQueueTags, PurgeQueue, CreateQueue...: the queue.
          return one(`sqs:${call.operation}`, queue);
      }
    }
    case 'DynamoDBClient': {
      switch (call.operation) {
        case 'BatchGetItem':
        case 'BatchWriteItem':
          return Object.keys((input.RequestItems as object | undefined) ?? {}).map((table) => ({
            action: `dynamodb:${call.operation}`,
            resource: tableArn(table),
          }));
        case 'TransactWriteItems':
        case 'TransactGetItems': {
          // Each item is authorized as its own action (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
          const actions: Record<string, string> = {
            Put: 'dynamodb:PutItem',
            Update: 'dynamodb:UpdateItem',
            Delete: 'dynamodb:DeleteItem',
            ConditionCheck: 'dynamodb:ConditionCheckItem',
            Get: 'dynamodb:GetItem',
          };
          return ((input.TransactItems as Record<string, { TableName: string }>[] | undefined) ?? []).flatMap(
            (item) =>
              Object.entries(item).map(([kind, part]) => ({
                action: actions[kind] ?? `dynamodb:${kind}`,
                resource: tableArn(part.TableName),
              })),
          );
        }
        case 'Query':
        case 'Scan':
          return one(
            `dynamodb:${call.operation}`,
            tableArn(str('TableName'), input.IndexName ? str('IndexName') : undefined),
          );
        default:
          return one(`dynamodb:${call.operation}`, tableArn(str('TableName')));
      }
    }
    case 'S3Client': {
      const object = `${bucket(str('Bucket'))}/${str('Key')}`;
      switch (call.operation) {
        case 'ListObjectsV2':
        case 'ListObjects':
          return one('s3:ListBucket', bucket(str('Bucket')));
        case 'HeadObject':
        case 'GetObject':
          return one('s3:GetObject', object);
        case 'PutObject':
          return one('s3:PutObject', object);
        case 'DeleteObject':
          return one('s3:DeleteObject', object);
        case 'HeadBucket':
          return one('s3:ListBucket', bucket(str('Bucket')));
        default:
          throw new UnmappedCallError(call);
      }
    }
    case 'SecretsManagerClient':
      return one(`secretsmanager:${call.operation}`, secret(str('SecretId')));
    case 'LambdaClient':
      switch (call.operation) {
        case 'GetEventSourceMapping':
        case 'UpdateEventSourceMapping':
        case 'DeleteEventSourceMapping': {
          // Lambda sets lambda:FunctionArn to the mapping's function on these three actions
          // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
          const functionArn = directory.mappingFunctionArn(str('UUID'));
          return [
            {
              action: `lambda:${call.operation}`,
              resource: `arn:aws:lambda:${region}:${account}:event-source-mapping:${str('UUID')}`,
              ...(functionArn ? { context: { 'lambda:FunctionArn': functionArn } } : {}),
            },
          ];
        }
        case 'Invoke': {
          const name = str('FunctionName');
          return one(
            'lambda:InvokeFunction',
            name.startsWith('arn:') ? name : `arn:aws:lambda:${region}:${account}:function:${name}`,
          );
        }
        default:
          throw new UnmappedCallError(call);
      }
    case 'SFNClient':
      switch (call.operation) {
        case 'StartExecution':
          return one('states:StartExecution', str('stateMachineArn'));
        case 'DescribeExecution':
        case 'StopExecution':
          return one(`states:${call.operation}`, str('executionArn'));
        default:
          throw new UnmappedCallError(call);
      }
    case 'SNSClient':
      if (call.operation === 'Publish') return one('sns:Publish', str('TopicArn'));
      throw new UnmappedCallError(call);
    case 'CloudFormationClient':
      if (call.operation === 'DescribeStacks') {
        const name = str('StackName');
        return one(
          'cloudformation:DescribeStacks',
          name.startsWith('arn:') ? name : `arn:aws:cloudformation:${region}:${account}:stack/${name}/*`,
        );
      }
      throw new UnmappedCallError(call);
    case 'CloudWatchClient':
      // GetMetricData and GetMetricStatistics support no resource-level permissions.
      if (call.operation === 'GetMetricData' || call.operation === 'GetMetricStatistics') {
        return one(`cloudwatch:${call.operation}`, '*');
      }
      throw new UnmappedCallError(call);
    case 'APIGatewayClient':
      // API Gateway's management API authorizes the HTTP verb on the resource path
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-create-and-manage-api.html).
      if (call.operation === 'GetApiKey')
        return one('apigateway:GET', `arn:aws:apigateway:${region}::/apikeys/${str('apiKey')}`);
      throw new UnmappedCallError(call);
    default:
      throw new UnmappedCallError(call);
  }
}
