// Over 300 lines: one walk through every AWS call path of every function and of gd, in the order a
// message meets them; cutting it would hide which step makes which call.
import { createServer } from 'node:net';
import { archiveListCommand, archiveRedriveCommand } from '../../cli/commands/archive.js';
import { dlqListCommand, dlqShowCommand } from '../../cli/commands/dlq.js';
import { drainCommand } from '../../cli/commands/drain.js';
import { keepTryingCommand } from '../../cli/commands/keep-trying.js';
import { messageCommand } from '../../cli/commands/message.js';
import { pauseCommand } from '../../cli/commands/pause.js';
import { redriveCommand } from '../../cli/commands/redrive.js';
import { signingRotateCommand, signingShowCommand } from '../../cli/commands/signing.js';
import { statusCommand } from '../../cli/commands/status.js';
import { memoryOutput } from '../../cli/output.js';
import { openDeployedStack } from '../../cli/stack/deployed-stack.js';
import { archiveExpiring } from '../../functions/archiver/archive-expiring.js';
import {
  createArchiverDeps,
  archiverConfig as readArchiverConfig,
} from '../../functions/archiver/archiver-config.js';
import {
  createDrainerDeps,
  drainerConfig as readDrainerConfig,
} from '../../functions/drainer/drainer-config.js';
import { createDrainerHandler } from '../../functions/drainer/schedule-adapter.js';
import { createForwarderDeps, loadForwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import { createProbeHandler } from '../../functions/forwarder/probe-adapter.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import { createIngestHandler } from '../../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, ingestConfig } from '../../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext, scheduledEvent } from '../../local/aws-events.js';
import { pollOnce } from '../../local/sqs-poller.js';
import { type CallPrincipal, runAs } from '../../shared/aws/call-recorder.js';
import { createSqsClient } from '../../shared/aws/clients.js';
import { EventSourceMappingSwitch } from '../../shared/aws/event-source-mapping-switch.js';
import { batchPath } from '../../shared/config/batch-ingest.js';
import { COMPONENT } from '../../shared/config/component-tags.js';
import { readConfigDocument } from '../../shared/config/function-config.js';
import type { RouteTable } from '../../shared/config/route-document.js';
import { silentLogger } from '../support/fakes.js';
import type { LoopbackBackend } from '../support/loopback-backend.js';
import type { EmulatedDeployment } from './emulated-deployment.js';
import type { RouteShape } from './routes-documents.js';

/** A route of the flow: its name in the routes file and its shape. */
export interface FlowRoute {
  readonly name: string;
  readonly path: string;
  readonly shape: RouteShape;
}

/** What the flow needs: the deployment, the emulator, a backend the routes' targets point to. */
export interface FlowOptions {
  readonly deployment: EmulatedDeployment;
  readonly endpoint: string;
  readonly backend: LoopbackBackend;
  readonly routes: readonly FlowRoute[];
  /** The route table the stack put into the assets of the functions that serve every route. */
  readonly routeTable: RouteTable;
  /** Told each step, for the test's log. */
  readonly onStep?: (step: string) => void;
}

/** A port on loopback where nothing listens: an SQS that refuses, so the ingest fails over. */
async function deadEndpoint(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  return `http://127.0.0.1:${port}`;
}

const ORDER_KEY_HEADER = 'x-order-key';

/**
 * Every AWS call path of the service, once per route shape: the ingest (to the queue, to the failover
 * table, a batch, a lookup, a reused key), the forwarder behind its event source mapping (delivered,
 * retried, dead-lettered; an ordered key's skip ledger; a circuit breaker opening, holding and
 * probing; signing and header secrets), the drainer, the archiver, and `gd`'s commands against the
 * deployed stack's outputs. Each part runs as its own principal, so the recorder knows whose call
 * each one is.
 */
export async function runRepresentativeFlow(options: FlowOptions): Promise<void> {
  const { deployment, endpoint, backend } = options;
  const step = options.onStep ?? (() => undefined);
  const dead = await deadEndpoint();
  const logger = silentLogger();

  for (const route of options.routes) {
    const ingestAs: CallPrincipal = { component: COMPONENT.INGEST, route: route.name };
    const forwarderAs: CallPrincipal = { component: COMPONENT.FORWARDER, route: route.name };
    const ingestEnv = deployment.environmentOf(ingestAs);
    const forwarderEnv = deployment.environmentOf(forwarderAs);
    const { path } = route;
    const headers = (key: string) => ({
      'Content-Type': 'application/json',
      'Idempotency-Key': key,
      ...(route.shape === 'ordered' ? { [ORDER_KEY_HEADER]: 'customer-1' } : {}),
    });

    step(`${route.name}: ingest`);
    const ingest = runAs(ingestAs, () =>
      createIngestHandler(
        createIngestDeps(ingestConfig(readConfigDocument(ingestEnv), options.routeTable), {
          sqsEndpoint: endpoint,
          dynamoDbEndpoint: endpoint,
          s3Endpoint: endpoint,
          logger,
        }),
      ),
    );
    const refused = runAs(ingestAs, () =>
      createIngestHandler(
        createIngestDeps(ingestConfig(readConfigDocument(ingestEnv), options.routeTable), {
          sqsEndpoint: dead,
          dynamoDbEndpoint: endpoint,
          logger,
        }),
      ),
    );
    const post = (handler: typeof ingest, key: string, body: unknown = { n: key }) =>
      handler(
        apiGatewayEvent({ method: 'POST', path, headers: headers(key), body: JSON.stringify(body) }),
        lambdaContext('ingest'),
      );
    const expectStatus = (what: string, status: number, answer: { statusCode: number; body: string }) => {
      if (answer.statusCode !== status)
        throw new Error(`${route.name}: ${what} answered ${answer.statusCode} ${answer.body}`);
    };
    expectStatus('first POST', 202, await post(ingest, `${route.name}-a`));
    expectStatus('second POST', 202, await post(ingest, `${route.name}-b`));
    // A body over the claim-check threshold: put into the payload bucket, got back by the forwarder.
    expectStatus('large body', 202, await post(ingest, `${route.name}-large`, { text: 'x'.repeat(300_000) }));
    expectStatus('reused key, other body', 409, await post(ingest, `${route.name}-a`, { other: true }));
    expectStatus('POST while SQS refuses', 202, await post(refused, `${route.name}-failover`));
    expectStatus(
      'batch',
      202,
      await ingest(
        apiGatewayEvent({
          method: 'POST',
          path: batchPath(path),
          headers: headers(`${route.name}-batch`),
          body: JSON.stringify({ messages: [{ body: { n: 1 }, idempotencyKey: `${route.name}-c` }] }),
        }),
        lambdaContext('ingest'),
      ),
    );
    expectStatus(
      'lookup',
      200,
      await ingest(
        apiGatewayEvent({
          method: 'GET',
          path: `${path}/${route.name}-a`,
          headers: {},
          body: null,
          pathParameters: { messageId: `${route.name}-a` },
        }),
        lambdaContext('ingest'),
      ),
    );

    step(`${route.name}: forwarder`);
    const forwarderConfig = loadForwarderConfig(forwarderEnv);
    const parts = runAs(forwarderAs, () =>
      createForwarderDeps(forwarderConfig, {
        sqsEndpoint: endpoint,
        dynamoDbEndpoint: endpoint,
        secretsManagerEndpoint: endpoint,
        s3Endpoint: endpoint,
        logger,
        ...(forwarderConfig.breaker
          ? {
              deliveries: new EventSourceMappingSwitch(
                `${route.name}-forwarder`,
                forwarderConfig.breaker.concurrency ?? 2,
              ),
            }
          : {}),
      }),
    );
    const forward = createForwarderHandler(parts);
    const probe = createProbeHandler(parts);
    // The event source mapping receives and deletes with the function's own role.
    const poller = runAs(forwarderAs, () => createSqsClient({ endpoint }));
    const { queueUrl } = forwarderConfig;
    const poll = () =>
      pollOnce(
        poller,
        {
          queueUrl,
          queueArn: `arn:aws:sqs:${deployment.names.target.region}:${deployment.names.target.account}:${queueUrl.split('/').pop()}`,
          functionName: `${route.name}-forwarder`,
          batchSize: 10,
          timeoutMs: 30_000,
        },
        forward,
      );
    // A failed attempt (backoff), then a non-retryable answer (dead letter), then deliveries.
    backend.answerNext({ status: 503 }, { status: 400 });
    await poll();
    if (route.shape === 'breaker') {
      backend.answerNext(...Array.from({ length: 10 }, () => ({ status: 503 })));
      await poll();
      await probe();
    }
    // Waits out the retry's backoff: the ordered route's next receive reads its key's skip ledger.
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await poll();
    }
  }

  step('drainer');
  const drainerAs: CallPrincipal = { component: COMPONENT.DRAINER };
  const drainerConfig = readDrainerConfig(
    readConfigDocument(deployment.environmentOf(drainerAs)),
    options.routeTable,
  );
  const drain = runAs(drainerAs, () =>
    createDrainerHandler(
      createDrainerDeps(drainerConfig, { sqsEndpoint: endpoint, dynamoDbEndpoint: endpoint, logger }),
      20,
    ),
  );
  await drain(scheduledEvent('drain'), lambdaContext('drainer', 60_000));

  step('archiver');
  const archiverAs: CallPrincipal = { component: COMPONENT.ARCHIVER };
  const archiverConfig = readArchiverConfig(
    readConfigDocument(deployment.environmentOf(archiverAs)),
    options.routeTable,
  );
  const archiver = runAs(archiverAs, () =>
    createArchiverDeps(archiverConfig, { sqsEndpoint: endpoint, s3Endpoint: endpoint, logger }),
  );
  // Everything counts as near retention, so each queue's messages take the archive's whole path.
  await archiveExpiring(
    archiver,
    archiverConfig.targets.map((target) => ({ ...target, archiveAfterSeconds: 0 })),
    Date.now() + 30_000,
  );

  await runOperatorCommands(options);
}

/** Every `gd` command against the deployed stack's outputs, as the operator runs them. */
async function runOperatorCommands(options: FlowOptions): Promise<void> {
  const { deployment, endpoint } = options;
  const step = options.onStep ?? (() => undefined);
  await runAs({ component: COMPONENT.OPERATOR }, async () => {
    const stack = await openDeployedStack({
      stackName: deployment.stackName,
      region: deployment.names.target.region,
      endpoint,
      followIntervalSeconds: 1,
    });
    const { output } = memoryOutput();
    // Commands whose service the emulator lacks (Lambda's event source mappings and invoke, Step
    // Functions) fail after their call was made: the call is what the checks need.
    const run = async (name: string, command: () => Promise<unknown>) => {
      try {
        await command();
      } catch (error) {
        step(`${name}: ${(error as Error).name}: ${(error as Error).message}`);
      }
    };
    for (const route of options.routes) {
      step(`gd on ${route.name}`);
      const on = { json: true, route: route.name };
      await run('status', () => statusCommand(stack, { ...on, peek: false }, output));
      await run('dlq list', () => dlqListCommand(stack, { ...on, limit: 10 }, output));
      await run('dlq show', () => dlqShowCommand(stack, { ...on, id: `${route.name}-b` }, output));
      await run('message', () => messageCommand(stack, { ...on, id: `${route.name}-a` }, output));
      await run('pause', () => pauseCommand(stack, { ...on, paused: true }, output));
      await run('resume', () => pauseCommand(stack, { ...on, paused: false }, output));
      await run('redrive 5xx', () =>
        redriveCommand(stack, { ...on, filter: { status: { class: 5 } } }, output),
      );
      await run('redrive', () => redriveCommand(stack, on, output));
      await run('archive list', () => archiveListCommand(stack, { ...on, limit: 10 }, output));
      await run('archive redrive', () => archiveRedriveCommand(stack, on, output));
      await run('keep-trying', () => keepTryingCommand(stack, { ...on, detach: true }, output));
      if (route.shape === 'signed') {
        await run('signing show', () => signingShowCommand(stack, on, output));
        await run('signing rotate', () => signingRotateCommand(stack, { ...on, graceSeconds: 60 }, output));
      }
    }
    step('gd drain, send');
    await run('drain', () => drainCommand(stack, { json: true }, output));
    await run('send (API key)', () => stack.api());
  });
}
