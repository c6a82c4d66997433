import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { DeliverySwitch } from '../ports.js';
import { createAwsClient } from './clients.js';

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
   */
  constructor(
    private readonly functionName: string,
    private readonly routeConcurrency: number,
    private readonly lambda: LambdaClient = createAwsClient(LambdaClient),
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
    await this.lambda.send(
      new UpdateEventSourceMappingCommand({
        UUID: await this.mappingId(),
        ...(change.Enabled === undefined ? {} : { Enabled: change.Enabled }),
        ...(change.MaximumConcurrency === undefined
          ? {}
          : { ScalingConfig: { MaximumConcurrency: change.MaximumConcurrency } }),
      }),
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
