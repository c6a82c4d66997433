import { setTimeout as sleep } from 'node:timers/promises';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type UpdateEventSourceMappingCommandInput,
} from '@aws-sdk/client-lambda';
import type { DeliverySwitch } from '../ports.js';
import { createAwsClient } from './clients.js';

/** Waits between tries of an update refused while the mapping is busy: doubling, 17.75 s in all. */
const SETTLE_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 5_000, 5_000];

/**
 * UpdateEventSourceMapping, tried again while Lambda refuses it because the mapping's previous
 * change is still in progress: an update of a mapping that is Creating, Enabling, Disabling or
 * Updating fails with ResourceInUseException ("UpdateEventSourceMapping", AWS Lambda API Reference:
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html). A breaker's start
 * followed at once by the stop a `gd pause` asks for meets exactly that; given up, the pause would
 * be lost and the route go on delivering. Other errors, and the last refusal, are thrown.
 */
export async function updateMappingWhenSettled(
  lambda: LambdaClient,
  input: UpdateEventSourceMappingCommandInput,
  delaysMs: readonly number[] = SETTLE_DELAYS_MS,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await lambda.send(new UpdateEventSourceMappingCommand(input));
      return;
    } catch (error) {
      const delay = delaysMs[attempt];
      if ((error as { name?: string }).name !== 'ResourceInUseException' || delay === undefined) throw error;
      await sleep(delay);
    }
  }
}

/**
 * A route's {@link DeliverySwitch} on AWS: its forwarder's SQS event source mapping, disabled to stop
 * deliveries (messages wait in the queue) and enabled to start them, the same switch `gd pause` uses;
 * its ScalingConfig.MaximumConcurrency limits the batches at once while deliveries ramp back up.
 *
 * The forwarder finds its own mapping (ListEventSourceMappings by function name) rather than being
 * told its id: the mapping is created from the function, so the function's environment cannot name
 * it without a dependency cycle. Lambda allows ListEventSourceMappings only on `*`; the stack grants
 * UpdateEventSourceMapping on this route's mapping alone.
 *
 * Only the breaker routes' forwarder bundle (functions/forwarder/breaker-handler.ts) holds the Lambda
 * client: it adds about 15 ms to a cold start, which routes without a breaker do not pay.
 */
export class EventSourceMappingSwitch implements DeliverySwitch {
  private uuid: Promise<string> | undefined;

  /**
   * @param functionName the forwarder's own name
   * @param routeConcurrency the mapping's MaximumConcurrency as deployed, which {@link limit} restores
   * @param settleDelaysMs waits between tries of an update the busy mapping refused
   */
  constructor(
    private readonly functionName: string,
    private readonly routeConcurrency: number,
    private readonly lambda: LambdaClient = createAwsClient(LambdaClient),
    private readonly settleDelaysMs: readonly number[] = SETTLE_DELAYS_MS,
  ) {}

  private mappingId(): Promise<string> {
    this.uuid ??= (async () => {
      const output = await this.lambda.send(
        new ListEventSourceMappingsCommand({ FunctionName: this.functionName }),
      );
      const ids = (output.EventSourceMappings ?? []).flatMap((mapping) => mapping.UUID ?? []);
      if (ids.length !== 1) {
        throw new Error(`expected one event source mapping on ${this.functionName}, found ${ids.length}`);
      }
      return ids[0] as string;
    })().catch((error) => {
      this.uuid = undefined;
      throw error;
    });
    return this.uuid;
  }

  private async update(change: { Enabled?: boolean; MaximumConcurrency?: number }): Promise<void> {
    await updateMappingWhenSettled(
      this.lambda,
      {
        UUID: await this.mappingId(),
        ...(change.Enabled === undefined ? {} : { Enabled: change.Enabled }),
        ...(change.MaximumConcurrency === undefined
          ? {}
          : { ScalingConfig: { MaximumConcurrency: change.MaximumConcurrency } }),
      },
      this.settleDelaysMs,
    );
  }

  stop(): Promise<void> {
    return this.update({ Enabled: false });
  }

  start(concurrency?: number): Promise<void> {
    return this.update({
      Enabled: true,
      ...(concurrency === undefined ? {} : { MaximumConcurrency: concurrency }),
    });
  }

  limit(concurrency: number | undefined): Promise<void> {
    return this.update({ MaximumConcurrency: concurrency ?? this.routeConcurrency });
  }
}
