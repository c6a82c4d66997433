import { type SQSClient, TagQueueCommand, UntagQueueCommand } from '@aws-sdk/client-sqs';
import type { DeliverySwitch } from '../shared/ports.js';
import { BREAKER_TAG, CONCURRENCY_TAG } from './local-stack-contract.js';

/**
 * A route's circuit breaker switch in the local stack, where there is no event source mapping to
 * disable: the queue tag {@link BREAKER_TAG}, which the emulated mapping (event-source-mapping.ts)
 * reads like the pause tag. A tag of its own, so `gd pause` (the pause tag) stays paused whatever
 * the breaker does. While deliveries ramp back up after a close, {@link CONCURRENCY_TAG} says how
 * many of the route's poll loops may run.
 */
export class QueueTagSwitch implements DeliverySwitch {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async stop(): Promise<void> {
    await this.sqs.send(new TagQueueCommand({ QueueUrl: this.queueUrl, Tags: { [BREAKER_TAG]: 'open' } }));
  }

  async start(concurrency?: number): Promise<void> {
    if (concurrency !== undefined) await this.limit(concurrency);
    await this.sqs.send(new UntagQueueCommand({ QueueUrl: this.queueUrl, TagKeys: [BREAKER_TAG] }));
  }

  async limit(concurrency: number | undefined): Promise<void> {
    if (concurrency === undefined) {
      await this.sqs.send(new UntagQueueCommand({ QueueUrl: this.queueUrl, TagKeys: [CONCURRENCY_TAG] }));
    } else {
      const tags = { [CONCURRENCY_TAG]: String(concurrency) };
      await this.sqs.send(new TagQueueCommand({ QueueUrl: this.queueUrl, Tags: tags }));
    }
  }
}
