import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import asl from 'asl-validator';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stateMachineTaskHandlers } from '../../cli/stack/state-machine-tasks.js';
import { installCallRecorder, type RecordedCall, runAs } from '../../shared/aws/call-recorder.js';
import { createAwsClient, createSqsClient } from '../../shared/aws/clients.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { COMPONENT, COMPONENT_TAG, ROUTE_TAG } from '../../shared/config/component-tags.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { type SynthesizedAssembly, synthesizeRoutesFile } from './cloud-assembly.js';
import { deployedRoute } from './deployed-functions.js';
import { DeploymentNames, EMULATOR_TARGET } from './deployment-names.js';
import { deployToEmulator, type EmulatedDeployment } from './emulated-deployment.js';
import { evaluateCalls } from './iam-evaluation.js';
import { PolicyBook } from './policy-book.js';

/** An ASL definition as the checks read it. */
interface Definition {
  readonly StartAt: string;
  readonly States: Record<string, { Type: string; Resource?: string; Parameters?: Record<string, unknown> }>;
}

/**
 * The continuing-delivery state machines as Step Functions would run them: each synthesized
 * definition validated (asl-validator) and executed by an Amazon States Language interpreter
 * (aws-local-stepfunctions), its SDK tasks performed against the emulator with the state machine's
 * own principal (StartMessageMoveTask, which moto lacks, by the local stack's own move), through the
 * reference scenario: dead letters redriven with growing waits until the backend takes them; the
 * cap of the waits, the last round and the notice when it gives up.
 */
describe('continuing delivery, executed', () => {
  const endpoint = inject('awsEndpoint');
  const backend = new LoopbackBackend();
  const calls: RecordedCall[] = [];
  const assemblies: SynthesizedAssembly[] = [];
  const route = { name: 'catering', path: '/catering/register' };
  let deployment: EmulatedDeployment;
  let definitions: { route: string; definition: Definition }[];
  let noticeQueueUrl: string;
  const plain = new SQSClient({ endpoint, region: 'us-east-1' });
  const savedEndpoint = process.env.AWS_ENDPOINT_URL;

  beforeAll(async () => {
    process.env.AWS_ENDPOINT_URL = endpoint;
    const target = await backend.start();
    // One attempt per message: a failed delivery is a dead letter at once, so each round shows.
    const assembly = synthesizeRoutesFile(
      { routes: [{ ...route, target, maxAttempts: 1 }] },
      { ALARM_EMAIL: 'ops@example.com', STACK_NAME: `GdMachines${randomUUID().slice(0, 6)}` },
    );
    assemblies.push(assembly);
    deployment = await deployToEmulator(new DeploymentNames(assembly.templates, EMULATOR_TARGET), endpoint);
    definitions = [...deployment.names.resources('AWS::StepFunctions::StateMachine')].map(
      ({ template, resource }) => {
        const props = deployment.names.resolve(resource.Properties ?? {}, template) as Record<
          string,
          unknown
        >;
        const tags = props.Tags as { Key: string; Value: string }[];
        return {
          route: tags.find((tag) => tag.Key === ROUTE_TAG)?.Value ?? '',
          definition: JSON.parse(String(props.DefinitionString)) as Definition,
          component: tags.find((tag) => tag.Key === COMPONENT_TAG)?.Value,
        };
      },
    );
    // The alarm topic's notices, read from a queue subscribed to it.
    const topic = [...deployment.names.resources('AWS::SNS::Topic')][0];
    if (!topic) throw new Error('no alarm topic');
    const created = await plain.send(
      new CreateQueueCommand({ QueueName: `notices-${randomUUID().slice(0, 8)}` }),
    );
    noticeQueueUrl = created.QueueUrl ?? '';
    const attributes = await plain.send(
      new GetQueueAttributesCommand({ QueueUrl: noticeQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await new SNSClient({ endpoint, region: 'us-east-1' }).send(
      new SubscribeCommand({
        TopicArn: deployment.names.getAtt(topic.template, topic.id, 'TopicArn'),
        Protocol: 'sqs',
        Endpoint: attributes.Attributes?.QueueArn,
      }),
    );
    installCallRecorder((call) => calls.push(call));
  });

  afterAll(async () => {
    installCallRecorder(undefined);
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = savedEndpoint;
    for (const assembly of assemblies) assembly.dispose();
    await backend.stop();
  });

  /**
   * Runs the route's synthesized definition; each wait lets the forwarder work through what the
   * round redrove (the interpreter's wait itself is cut to nothing). Returns the waits asked for.
   */
  async function execute(onRound: (round: number) => void) {
    const { definition } = definitions.find((entry) => entry.route === route.name) ?? {};
    if (!definition) throw new Error(`no state machine for ${route.name}`);
    const functions = deployedRoute(deployment, route, endpoint);
    const principal = { component: COMPONENT.CONTINUING_DELIVERY, route: route.name };
    const { account } = deployment.names.target;
    const tasks = runAs(principal, () => {
      const sqs = createSqsClient({ endpoint });
      const sns = createAwsClient(SNSClient, { endpoint });
      return stateMachineTaskHandlers(definition, {
        sqs,
        queueUrl: (arn) => `${endpoint}/${account}/${arn.split(':').pop()}`,
        publish: async (input) => {
          await sns.send(new PublishCommand({ ...input, Message: input.Message ?? '' }));
        },
      });
    });
    const waitState = Object.entries(definition.States).find(([, state]) => state.Type === 'Wait')?.[0] ?? '';
    const countState = Object.entries(definition.States).find(([, state]) =>
      state.Resource?.endsWith(':getQueueAttributes'),
    )?.[0];
    if (!countState) throw new Error('no state counts the DLQ');
    const count = tasks[countState] as (input: unknown) => Promise<unknown>;
    const waits: number[] = [];
    let round = 0;
    // The wait of a round is the forwarder's time: the redrive finishes, the forwarder delivers or
    // dead-letters again, then the DLQ is counted.
    tasks[countState] = async (input) => {
      if (round > 0) {
        for (let check = 0; check < 100; check++) {
          const dlq = await queueCounts(plain, functions.dlqUrl);
          const queue = await queueCounts(plain, functions.queueUrl);
          if (dlq.visible === 0 || queue.visible > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await functions.drainQueue();
      }
      onRound(++round);
      return (await count(input)) as never;
    };
    const machine = new StateMachine(
      definition as never,
      { validationOptions: { checkArn: false } } as never,
    );
    const execution = machine.run(
      {},
      {
        overrides: { taskResourceLocalHandlers: tasks as never, waitTimeOverrides: { [waitState]: 0 } },
      },
    );
    const watch = (async () => {
      for await (const event of execution.eventLogs) {
        const entered = event as { type: string; state?: { name: string; input: { waitSeconds?: number } } };
        if (entered.type === 'StateEntered' && entered.state?.name === waitState) {
          waits.push(Number(entered.state.input.waitSeconds));
        }
      }
    })();
    try {
      const result = await execution.result;
      return { status: 'SUCCEEDED', result, waits, rounds: round - 1 };
    } catch (error) {
      if (!(error instanceof ExecutionError)) throw error;
      return { status: 'FAILED', error, waits, rounds: round - 1 };
    } finally {
      await watch.catch(() => undefined);
    }
  }

  it('validates every synthesized definition with asl-validator', () => {
    // Act
    const results = definitions.map((entry) => ({ route: entry.route, ...asl(entry.definition as never) }));

    // Assess
    expect(results.length).toBeGreaterThan(0);
    expect(
      results.map((result) => `${result.route}: ${result.isValid ? 'valid' : JSON.stringify(result.errors)}`),
    ).toEqual(results.map((result) => `${result.route}: valid`));
  });

  it('redrives with growing waits until the backend takes the dead letters, each delivered once', async () => {
    // Prepare: three messages dead-lettered while the backend answers 503; it heals after the second redrive failed.
    backend.fallback = { status: 503 };
    const functions = deployedRoute(deployment, route, endpoint);
    const ids = ['keep-1', 'keep-2', 'keep-3'];
    for (const id of ids) expect((await functions.post(id)).statusCode).toBe(202);
    await functions.drainQueue();
    expect((await queueCounts(plain, functions.dlqUrl)).visible).toBe(3);
    let healedAt = 0;

    // Act
    const outcome = await execute((round) => {
      if (round === 3) {
        backend.fallback = { status: 200 };
        healedAt = backend.requests.length;
      }
    });

    // Assess: three redrives (the first two dead-lettered again), the waits doubled from the
    // initial 5 minutes, every id delivered once after the backend healed.
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.waits).toEqual([300, 600, 1200]);
    expect((await queueCounts(plain, functions.dlqUrl)).visible).toBe(0);
    const afterHealing = backend.requests
      .slice(healedAt)
      .map((request) => String(request.headers['idempotency-key']));
    expect(afterHealing.sort()).toEqual(ids);
  });

  it('caps the waits, gives up after the last round and sends the notice', async () => {
    // Prepare: a dead letter the backend never takes.
    backend.fallback = { status: 503 };
    const functions = deployedRoute(deployment, route, endpoint);
    expect((await functions.post('never')).statusCode).toBe(202);
    await functions.drainQueue();

    // Act
    const outcome = await execute(() => undefined);

    // Assess: ten rounds, waits doubling from 5 minutes up to the 6-hour cap, a DeadLettersRemain
    // failure whose cause says what to do, and the notice on the alarm topic.
    expect(outcome.status).toBe('FAILED');
    expect(outcome.waits).toEqual([300, 600, 1200, 2400, 4800, 9600, 19_200, 21_600, 21_600, 21_600]);
    expect(String((outcome as { error?: Error }).error?.message)).toMatch(
      /DeadLettersRemain|Dead letters remain/,
    );
    const notice = await plain.send(
      new ReceiveMessageCommand({ QueueUrl: noticeQueueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    const texts = (notice.Messages ?? []).map(
      (message) => JSON.parse(message.Body ?? '{}').Message as string,
    );
    expect(texts.some((text) => text.includes(`Continuing delivery of route ${route.name} gave up`))).toBe(
      true,
    );
  });

  it("makes only calls the state machine's role allows", async () => {
    // Act: the executions' calls, as the state machine's principal.
    const own = calls.filter((call) => call.principal.component === COMPONENT.CONTINUING_DELIVERY);
    const evaluation = await evaluateCalls(own, new PolicyBook(deployment.names), deployment);

    // Assess
    expect(new Set(own.map((call) => call.operation))).toEqual(
      new Set([
        'GetQueueAttributes',
        'StartMessageMoveTask',
        'ReceiveMessage',
        'SendMessageBatch',
        'DeleteMessageBatch',
        'Publish',
      ]),
    );
    expect(
      evaluation.denials.map((denial) => `${denial.action} on ${denial.resource}: ${denial.result}`),
    ).toEqual([]);
  });
});
