import { createForwarderDeps, loadForwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import { createForwarderHandler } from '../../functions/forwarder/sqs-batch-adapter.js';
import { createIngestHandler } from '../../functions/ingest/api-gateway-adapter.js';
import { createIngestDeps, ingestConfig } from '../../functions/ingest/ingest-config.js';
import { apiGatewayEvent, lambdaContext } from '../../local/aws-events.js';
import { pollOnce } from '../../local/sqs-poller.js';
import { runAs } from '../../shared/aws/call-recorder.js';
import { createSqsClient } from '../../shared/aws/clients.js';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import { COMPONENT } from '../../shared/config/component-tags.js';
import { readConfigDocument } from '../../shared/config/function-config.js';
import { silentLogger } from '../support/fakes.js';
import type { EmulatedDeployment } from './emulated-deployment.js';

/**
 * A route's ingest and forwarder as deployed: built from the environment the template gives them,
 * each as its own principal, against the emulator. The forwarder runs behind the local stack's
 * emulated event source mapping, whose receives and deletes are the function role's on AWS.
 */
export function deployedRoute(
  deployment: EmulatedDeployment,
  route: { name: string; path: string },
  endpoint: string,
) {
  const ingestAs = { component: COMPONENT.INGEST, route: route.name };
  const forwarderAs = { component: COMPONENT.FORWARDER, route: route.name };
  const logger = silentLogger();
  const ingest = runAs(ingestAs, () =>
    createIngestHandler(
      // The route table the stack puts into the ingest's asset: this route's intake, defaults applied.
      createIngestDeps(
        ingestConfig(readConfigDocument(deployment.environmentOf(ingestAs)), {
          routes: [{ name: route.name, path: route.path }],
        }),
        {
          sqsEndpoint: endpoint,
          dynamoDbEndpoint: endpoint,
          logger,
        },
      ),
    ),
  );
  const forwarderConfig = loadForwarderConfig(deployment.environmentOf(forwarderAs));
  const forward = runAs(forwarderAs, () =>
    createForwarderHandler(
      createForwarderDeps(forwarderConfig, {
        sqsEndpoint: endpoint,
        dynamoDbEndpoint: endpoint,
        secretsManagerEndpoint: endpoint,
        logger,
      }),
    ),
  );
  const poller = runAs(forwarderAs, () => createSqsClient({ endpoint }));
  const { queueUrl, dlqUrl } = forwarderConfig;
  const { region, account } = deployment.names.target;
  const target = {
    queueUrl,
    queueArn: `arn:aws:sqs:${region}:${account}:${queueUrl.split('/').pop()}`,
    functionName: `${route.name}-forwarder`,
    batchSize: 10,
    timeoutMs: 30_000,
  };
  return {
    queueUrl,
    dlqUrl,
    /** POSTs a message with its Idempotency-Key through the real ingest handler. */
    post: (key: string, body: unknown = { key }) =>
      ingest(
        apiGatewayEvent({
          method: 'POST',
          path: route.path,
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify(body),
        }),
        lambdaContext('ingest'),
      ),
    /** One turn of the event source mapping. */
    poll: () => pollOnce(poller, target, forward),
    /** Turns of the mapping until the delivery queue holds nothing visible or in flight. */
    async drainQueue(): Promise<void> {
      for (let turn = 0; turn < 50; turn++) {
        await pollOnce(poller, target, forward);
        const counts = await queueCounts(poller, queueUrl);
        if (counts.visible + counts.inFlight === 0) return;
      }
      throw new Error(`the ${route.name} queue did not empty in 50 turns`);
    },
  };
}
