import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type BreakerPosition, type BreakerState, CLOSED_BREAKER } from '../circuit-breaker.js';
import type { BreakerStore } from '../ports.js';
import { MESSAGE_TABLE } from '../tables.js';

/**
 * The {@link BreakerStore} in the message table, one item per route (the forwarder already reads and
 * writes that table). The space in its partition key keeps it apart from message records, whose ids
 * have none. It has no expiry: a breaker's state must outlive any quiet spell.
 */
export const BREAKER_PARTITION = 'circuit breaker';

const NAMES = { '#state': 'state' };

export class DynamoDbBreakerStore implements BreakerStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  private key(route: string) {
    return {
      [MESSAGE_TABLE.partitionKey]: { S: BREAKER_PARTITION },
      [MESSAGE_TABLE.sortKey]: { S: route },
    };
  }

  /** An update (conditional unless `condition` is undefined); undefined when the condition did not hold. */
  private async update(
    route: string,
    expression: string,
    condition: string | undefined,
    values: Record<string, AttributeValue>,
  ): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(route),
          UpdateExpression: expression,
          ...(condition === undefined ? {} : { ConditionExpression: condition }),
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return output.Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async read(route: string, consistent = false): Promise<BreakerState> {
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key(route), ConsistentRead: consistent }),
    );
    return output.Item ? fromItem(output.Item) : CLOSED_BREAKER;
  }

  async countFailure(route: string): Promise<number | undefined> {
    // Counted only while closed: an attempt that was already under way when it opened is no news.
    const item = await this.update(
      route,
      'ADD failures :one SET #state = if_not_exists(#state, :closed)',
      'attribute_not_exists(#state) OR #state = :closed',
      { ':one': { N: '1' }, ':closed': { S: 'closed' } },
    );
    return item ? Number(item.failures?.N ?? 0) : undefined;
  }

  async resetFailures(route: string): Promise<void> {
    await this.update(route, 'SET failures = :zero', '#state = :closed AND failures > :zero', {
      ':zero': { N: '0' },
      ':closed': { S: 'closed' },
    });
  }

  async open(route: string, threshold: number, now: Date, probeAt: Date): Promise<boolean> {
    const item = await this.update(
      route,
      'SET #state = :open, openedAt = :now, probeAt = :probeAt',
      '#state = :closed AND failures >= :threshold',
      {
        ':open': { S: 'open' },
        ':closed': { S: 'closed' },
        ':now': { S: now.toISOString() },
        ':probeAt': { S: probeAt.toISOString() },
        ':threshold': { N: String(threshold) },
      },
    );
    return item !== undefined;
  }

  async startProbe(route: string, now: Date, leaseUntil: Date): Promise<boolean> {
    // A half-open breaker whose probe never finished (its function died) is taken over once its
    // lease has passed, so a crash cannot leave the route stuck half-open.
    const item = await this.update(
      route,
      'SET #state = :halfOpen, probeAt = :lease',
      '(#state = :open OR #state = :halfOpen) AND probeAt <= :now',
      {
        ':open': { S: 'open' },
        ':halfOpen': { S: 'half-open' },
        ':now': { S: now.toISOString() },
        ':lease': { S: leaseUntil.toISOString() },
      },
    );
    return item !== undefined;
  }

  async reopen(route: string, probeAt: Date): Promise<void> {
    await this.update(route, 'SET #state = :open, probeAt = :probeAt', '#state = :halfOpen', {
      ':open': { S: 'open' },
      ':halfOpen': { S: 'half-open' },
      ':probeAt': { S: probeAt.toISOString() },
    });
  }

  async close(route: string, now: Date, rampConcurrency?: number): Promise<BreakerState | undefined> {
    const ramp = rampConcurrency === undefined ? '' : ', rampConcurrency = :ramp';
    const item = await this.update(
      route,
      `SET #state = :closed, failures = :zero, closedAt = :now${ramp} REMOVE probeAt${ramp ? '' : ', rampConcurrency'}`,
      '#state = :halfOpen',
      {
        ':closed': { S: 'closed' },
        ':halfOpen': { S: 'half-open' },
        ':zero': { N: '0' },
        ':now': { S: now.toISOString() },
        ...(rampConcurrency === undefined ? {} : { ':ramp': { N: String(rampConcurrency) } }),
      },
    );
    return item ? fromItem(item) : undefined;
  }

  async advanceRamp(route: string, from: number, to: number | undefined): Promise<boolean> {
    const item = await this.update(
      route,
      to === undefined ? 'REMOVE rampConcurrency' : 'SET rampConcurrency = :to',
      '#state = :closed AND rampConcurrency = :from',
      {
        ':closed': { S: 'closed' },
        ':from': { N: String(from) },
        ...(to === undefined ? {} : { ':to': { N: String(to) } }),
      },
    );
    return item !== undefined;
  }

  async setManualPause(route: string, paused: boolean): Promise<BreakerState> {
    const item = await this.update(
      route,
      'SET manualPause = :paused, #state = if_not_exists(#state, :closed), failures = if_not_exists(failures, :zero)',
      undefined,
      { ':paused': { BOOL: paused }, ':closed': { S: 'closed' }, ':zero': { N: '0' } },
    );
    return fromItem(item ?? {});
  }
}

const POSITIONS: readonly BreakerPosition[] = ['closed', 'open', 'half-open'];

function fromItem(item: Record<string, AttributeValue>): BreakerState {
  const state = item.state?.S as BreakerPosition | undefined;
  const text = (name: string) => item[name]?.S;
  return {
    state: state && POSITIONS.includes(state) ? state : 'closed',
    failures: Number(item.failures?.N ?? 0),
    manualPause: item.manualPause?.BOOL === true,
    ...(text('openedAt') ? { openedAt: text('openedAt') } : {}),
    ...(text('closedAt') ? { closedAt: text('closedAt') } : {}),
    ...(text('probeAt') ? { probeAt: text('probeAt') } : {}),
    ...(item.rampConcurrency?.N ? { rampConcurrency: Number(item.rampConcurrency.N) } : {}),
  };
}
