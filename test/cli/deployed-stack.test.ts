import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import {
  GetEventSourceMappingCommand,
  InvokeCommand,
  LambdaClient,
  ResourceInUseException,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { drainCommand } from '../../cli/commands/drain.js';
import { OperationFailedError, StackAccessError } from '../../cli/errors.js';
import { memoryOutput } from '../../cli/output.js';
import { renderProgressBar } from '../../cli/progress-bar.js';
import { openDeployedStack } from '../../cli/stack/deployed-stack.js';
import { parseStackOutputs } from '../../cli/stack/deployed-stack-outputs.js';
import { redriveRoute } from '../../cli/stack/redrive-route.js';

/** Outputs of a two-route stack, in the keys infra/ publishes (the contract `gd` reads). */
function stackOutputs(): Output[] {
  const outputs: Record<string, string> = {
    ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
    ApiKeyId: 'key-id-1',
    FailoverTableName: 'gd-failover',
    MessageTableName: 'gd-messages',
    DrainerFunctionName: 'gd-drainer',
    ResourcePrefix: 'gd',
    QueueUrlBase: 'https://sqs.eu-west-1.amazonaws.com/111111111111/',
    ContinuingDeliveryArnPrefix: 'arn:aws:states:eu-west-1:111111111111:stateMachine:gd_cd_',
    // Each nested stack of routes lists its own; gd lists them all, by name.
    RouteGroup07: JSON.stringify([
      {
        name: 'order-events',
        path: '/order-events/register',
        mapping: 'order-events-esm-uuid',
        ordered: true,
      },
    ]),
    RouteGroup02: JSON.stringify([
      {
        name: 'catering',
        path: '/catering/register',
        mapping: 'catering-esm-uuid',
        signingSecret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:gd/catering/signing-AbCdEf',
      },
    ]),
  };
  return Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }));
}

describe('deployed stack outputs', () => {
  it("reads the routes from the groups' outputs and derives their queues, forwarder and state machine", () => {
    // Act
    const parsed = parseStackOutputs('GuaranteedDelivery', stackOutputs());

    // Assess
    expect(parsed).toMatchObject({
      apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
      apiKeyId: 'key-id-1',
      failoverTableName: 'gd-failover',
      drainerFunctionName: 'gd-drainer',
    });
    expect(parsed.routes).toEqual([
      {
        name: 'catering',
        path: '/catering/register',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_q_catering',
        dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_dlq_catering',
        forwarderFunctionName: 'gd_fwd_catering',
        eventSourceMappingId: 'catering-esm-uuid',
        signingSecretId: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:gd/catering/signing-AbCdEf',
        continuingDeliveryArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:gd_cd_catering',
      },
      {
        name: 'order-events',
        path: '/order-events/register',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_q_order-events.fifo',
        dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/gd_dlq_order-events.fifo',
        forwarderFunctionName: 'gd_fwd_order-events',
        eventSourceMappingId: 'order-events-esm-uuid',
        continuingDeliveryArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:gd_cd_order-events',
      },
    ]);
  });

  it('fails naming every output a stack lacks', () => {
    // Prepare
    const outputs = stackOutputs().filter(
      (output) => output.OutputKey !== 'FailoverTableName' && output.OutputKey !== 'QueueUrlBase',
    );

    // Act
    const parse = () => parseStackOutputs('Old', outputs);

    // Assess
    expect(parse).toThrow(StackAccessError);
    expect(parse).toThrow('stack Old lacks the output(s) QueueUrlBase, FailoverTableName;');
  });
});

describe('deployed stack (AWS APIs mocked where no emulator has them)', () => {
  // Mocks replace the clients' `send` for every instance: made per test and restored after, so the
  // emulator tests below talk to the real API.
  const createMocks = () => ({
    cloudFormation: mockClient(CloudFormationClient),
    lambda: mockClient(LambdaClient),
    apiGateway: mockClient(APIGatewayClient),
  });
  let cloudFormation: ReturnType<typeof createMocks>['cloudFormation'];
  let lambda: ReturnType<typeof createMocks>['lambda'];
  let apiGateway: ReturnType<typeof createMocks>['apiGateway'];

  beforeEach(() => {
    ({ cloudFormation, lambda, apiGateway } = createMocks());
  });

  afterEach(() => {
    cloudFormation.restore();
    lambda.restore();
    apiGateway.restore();
  });

  const open = () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'GuaranteedDelivery',
          CreationTime: new Date(),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: stackOutputs(),
        },
      ],
    });
    return openDeployedStack({ region: 'eu-west-1' });
  };

  it('finds the default stack by name and pauses a route by disabling its event source mapping', async () => {
    // Prepare
    const stack = await open();
    lambda.on(UpdateEventSourceMappingCommand).resolves({ State: 'Disabling' });
    lambda.on(GetEventSourceMappingCommand).resolves({ State: 'Disabling' });
    const [catering] = stack.routes;
    if (!catering) throw new Error('no route');

    // Act
    await stack.setPaused(catering, true);
    const { paused } = await stack.deliveryState(catering);

    // Assess
    expect(stack.description).toBe('stack GuaranteedDelivery in eu-west-1');
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'GuaranteedDelivery',
    });
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0]?.args[0].input).toEqual({
      UUID: 'catering-esm-uuid',
      Enabled: false,
    });
    expect(paused).toBe(true);
  });

  it("pauses a route whose mapping is still busy with the breaker's start: tried again until Lambda takes it", async () => {
    // Prepare: Lambda refuses an update while the previous one is in progress
    const stack = await open();
    lambda
      .on(UpdateEventSourceMappingCommand)
      .rejectsOnce(new ResourceInUseException({ message: 'The resource is in use', $metadata: {} }))
      .resolves({ State: 'Disabling' });
    const [catering] = stack.routes;
    if (!catering) throw new Error('no route');

    // Act
    await stack.setPaused(catering, true);

    // Assess
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input)).toEqual([
      { UUID: 'catering-esm-uuid', Enabled: false },
      { UUID: 'catering-esm-uuid', Enabled: false },
    ]);
  });

  it('drains by invoking the drainer function and reading its report', async () => {
    // Prepare
    const stack = await open();
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify({ moved: 7, failed: 0, unroutable: 0 })) as never,
    });
    const memory = memoryOutput();

    // Act
    const code = await drainCommand(stack, { json: true }, memory.output);

    // Assess
    expect(code).toBe(0);
    expect(memory.json()).toEqual({ moved: 7, failed: 0, refused: 0, unroutable: 0 });
    expect(lambda.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: 'gd-drainer',
      InvocationType: 'RequestResponse',
    });
  });

  it('fails a drain whose function failed, with its error message', async () => {
    // Prepare
    const stack = await open();
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode(
        JSON.stringify({ errorType: 'ConfigurationError', errorMessage: 'ROUTE_QUEUE_URLS is not set' }),
      ) as never,
    });

    // Act
    const draining = stack.drain();

    // Assess
    await expect(draining).rejects.toThrow(OperationFailedError);
    await expect(draining).rejects.toThrow(
      'the drainer gd-drainer failed: ConfigurationError: ROUTE_QUEUE_URLS is not set',
    );
  });

  it('fetches the API key value for send', async () => {
    // Prepare
    const stack = await open();
    apiGateway
      .on(GetApiKeyCommand, { apiKey: 'key-id-1', includeValue: true })
      .resolves({ value: 'secret-value' });

    // Act
    const api = await stack.api();

    // Assess
    expect(api).toEqual({
      baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/',
      apiKey: 'secret-value',
    });
  });

  it('keeps trying by starting the route state machine and following the execution to its end', async () => {
    // Prepare
    const sfn = mockClient(SFNClient);
    try {
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'GuaranteedDelivery',
            CreationTime: new Date(),
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: stackOutputs(),
          },
        ],
      });
      const stack = await openDeployedStack({ region: 'eu-west-1', followIntervalSeconds: 0.01 });
      const executionArn = 'arn:aws:states:eu-west-1:111111111111:execution:gd_cd_catering:gd-1';
      sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
      sfn
        .on(DescribeExecutionCommand)
        .resolvesOnce({ executionArn, status: 'RUNNING', stateMachineArn: 'x', startDate: new Date() })
        .resolves({ executionArn, status: 'SUCCEEDED', stateMachineArn: 'x', startDate: new Date() });
      const [catering, orders] = stack.routes;
      if (!catering || !orders) throw new Error('routes missing');
      const updates: string[] = [];

      // Act
      const outcome = await stack.keepTrying(catering, {
        follow: true,
        onUpdate: (line) => updates.push(line),
      });
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'GuaranteedDelivery',
            CreationTime: new Date(),
            StackStatus: 'UPDATE_COMPLETE',
            // Deployed with AUTO_REDRIVE=false: no state machines, so no ARN prefix.
            Outputs: stackOutputs().filter((output) => output.OutputKey !== 'ContinuingDeliveryArnPrefix'),
          },
        ],
      });
      const withoutMachines = await openDeployedStack({ region: 'eu-west-1' });
      const withoutMachine = withoutMachines.keepTrying(orders, { follow: true });

      // Assess
      expect(outcome).toEqual({ status: 'SUCCEEDED', executionArn });
      expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(
        'arn:aws:states:eu-west-1:111111111111:stateMachine:gd_cd_catering',
      );
      expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
      expect(updates).toEqual([`catering: started ${executionArn}`]);
      await expect(withoutMachine).rejects.toThrow(
        /order-events has no continuing-delivery state machine.*AUTO_REDRIVE=false/,
      );
    } finally {
      sfn.restore();
    }
  });

  it('fails with advice when no credentials are found', async () => {
    // Prepare
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    cloudFormation.on(DescribeStacksCommand).rejects(noCredentials);

    // Act
    const opening = openDeployedStack({ region: 'eu-west-1' });

    // Assess
    await expect(opening).rejects.toThrow(
      'no AWS credentials found; set AWS_PROFILE (after `aws sso login` or `aws configure`) or ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --local for the local stack',
    );
  });
});

describe('deployed stack lookup on the emulator', () => {
  it('fails for a stack that does not exist, saying how to deploy or pick another', async () => {
    // Act
    const opening = openDeployedStack({
      stackName: 'NoSuchStack',
      region: 'us-east-1',
      endpoint: inject('awsEndpoint'),
    });

    // Assess
    await expect(opening).rejects.toThrow(StackAccessError);
    await expect(opening).rejects.toThrow(
      'stack NoSuchStack not found in region us-east-1; deploy it with `npm run deploy` or pass --stack',
    );
  });
});

describe('redrive with a message move task (AWS; moto has no such API)', () => {
  const createMock = () => mockClient(SQSClient);
  let sqs: ReturnType<typeof createMock>;

  beforeEach(() => {
    sqs = createMock();
  });

  afterEach(() => {
    sqs.restore();
  });

  it('starts a move task at the given rate and follows it to completion', async () => {
    // Prepare
    const route = {
      name: 'catering',
      path: '/catering/register',
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/q',
      dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/dlq',
    };
    // The most specific matcher is declared last: aws-sdk-client-mock lets it win.
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({
        Attributes: { ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: '0' },
      })
      .on(GetQueueAttributesCommand, { QueueUrl: route.dlqUrl, AttributeNames: ['QueueArn'] })
      .resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:111111111111:dlq' } })
      .on(GetQueueAttributesCommand, { QueueUrl: route.queueUrl, AttributeNames: ['QueueArn'] })
      .resolves({ Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:111111111111:q' } });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({
        Results: [
          { Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 4 },
        ],
      })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 4, ApproximateNumberOfMessagesToMove: 4 },
        ],
      });
    const progress: string[] = [];
    const client = new SQSClient({ region: 'eu-west-1' });

    // Act
    const outcome = await redriveRoute(client, route, {
      ratePerSecond: 5,
      pollIntervalMs: 1,
      onProgress: (update) => progress.push(renderProgressBar(update, 'moved')),
    });

    // Assess
    expect(outcome).toEqual({ method: 'message-move-task', moved: 4, failed: 0, refused: 0, skipped: 0 });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: 'arn:aws:sqs:eu-west-1:111111111111:dlq',
      DestinationArn: 'arn:aws:sqs:eu-west-1:111111111111:q',
      MaxNumberOfMessagesPerSecond: 5,
    });
    expect(progress).toEqual([
      '[########......................] 1/4 moved',
      '[##############################] 4/4 moved',
    ]);
  });

  it('follows a task being cancelled until it ends, and reports how far it got', async () => {
    // Prepare: someone cancels the task while gd follows it (CANCELLING, then CANCELLED)
    const route = { name: 'catering', path: '/c', queueUrl: 'https://q/1/q', dlqUrl: 'https://q/1/dlq' };
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:1:x', ApproximateNumberOfMessages: '9' },
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 2 }] })
      .resolvesOnce({ Results: [{ Status: 'CANCELLING', ApproximateNumberOfMessagesMoved: 3 }] })
      .resolves({ Results: [{ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: 5 }] });

    // Act
    const result = redriveRoute(new SQSClient({ region: 'eu-west-1' }), route, { pollIntervalMs: 1 });

    // Assess
    await expect(result).rejects.toThrow('message move task cancelled after moving 5 message(s)');
    expect(sqs.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(3);
  });

  it('walks the DLQ itself instead of starting a move task when a filter narrows the redrive', async () => {
    // Prepare
    const route = { name: 'catering', path: '/c', queueUrl: 'https://q/1/q', dlqUrl: 'https://q/1/dlq' };
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:1:x', ApproximateNumberOfMessages: '2' },
    });
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });

    // Act
    const outcome = await redriveRoute(new SQSClient({ region: 'eu-west-1' }), route, {
      filter: { reason: 'timeout' },
    });

    // Assess
    expect(outcome).toEqual({ method: 'receive-send-delete', moved: 0, failed: 0, refused: 0, skipped: 0 });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.QueueUrl).toBe(route.dlqUrl);
  });

  it('fails when the move task fails, with its reason', async () => {
    // Prepare
    const route = { name: 'catering', path: '/c', queueUrl: 'https://q/1/q', dlqUrl: 'https://q/1/dlq' };
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { QueueArn: 'arn:aws:sqs:eu-west-1:1:x', ApproximateNumberOfMessages: '2' },
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        { Status: 'FAILED', ApproximateNumberOfMessagesMoved: 1, FailureReason: 'AccessDenied on the queue' },
      ],
    });

    // Act
    const redriving = redriveRoute(new SQSClient({ region: 'eu-west-1' }), route, { pollIntervalMs: 1 });

    // Assess
    await expect(redriving).rejects.toThrow(
      'message move task failed after moving 1 message(s): AccessDenied on the queue',
    );
  });
});
