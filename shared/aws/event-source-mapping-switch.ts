import type { DeliverySwitch } from '../ports.js';
import { awsClientConfig } from './clients.js';

/**
 * A route's {@link DeliverySwitch} on AWS: its forwarder's SQS event source mapping, disabled to stop
 * deliveries (messages wait in the queue) and enabled to start them, the same switch `gd pause` uses.
 *
 * The forwarder finds its own mapping (ListEventSourceMappings by function name) rather than being
 * told its id: the mapping is created from the function, so the function's environment cannot name
 * it without a dependency cycle. Lambda allows ListEventSourceMappings only on `*`; the stack grants
 * UpdateEventSourceMapping on this route's mapping alone.
 *
 * The Lambda client is loaded on first use, so a forwarder whose breaker never opens does not pay for
 * it at cold start.
 */
export class EventSourceMappingSwitch implements DeliverySwitch {
  private uuid: Promise<string> | undefined;
  private client: Promise<import('@aws-sdk/client-lambda').LambdaClient> | undefined;

  /**
   * @param functionName the forwarder's own name
   * @param routeConcurrency the mapping's MaximumConcurrency as deployed, which {@link limit} restores
   */
  constructor(
    private readonly functionName: string,
    private readonly routeConcurrency: number,
  ) {}

  private lambda() {
    this.client ??= import('@aws-sdk/client-lambda').then(
      ({ LambdaClient }) => new LambdaClient(awsClientConfig()),
    );
    return this.client;
  }

  private mappingId(): Promise<string> {
    this.uuid ??= (async () => {
      const { ListEventSourceMappingsCommand } = await import('@aws-sdk/client-lambda');
      const output = await (await this.lambda()).send(
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
    const { UpdateEventSourceMappingCommand } = await import('@aws-sdk/client-lambda');
    await (await this.lambda()).send(
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
