import { describe, expect, it } from 'vitest';
import { roundWaitSeconds, runContinuingDelivery } from '../../cli/stack/continuing-delivery-rounds.js';

/** A DLQ whose count follows a script, recording redrives and waits. */
function scriptedDlq(counts: number[]) {
  const waits: number[] = [];
  let redrives = 0;
  return {
    waits,
    redrives: () => redrives,
    port: {
      countDeadLetters: async () => counts.shift() ?? 0,
      redrive: async () => {
        redrives++;
        return 1;
      },
      sleep: async (seconds: number) => {
        waits.push(seconds);
      },
    },
  };
}

describe('continuing delivery rounds', () => {
  it('doubles the wait each round up to its cap', () => {
    // Act
    const waits = [1, 2, 3, 4, 5].map((round) =>
      roundWaitSeconds(round, { initialWaitSeconds: 60, maxWaitSeconds: 300 }),
    );

    // Assess
    expect(waits).toEqual([60, 120, 240, 300, 300]);
  });

  it('succeeds without a redrive when the DLQ is already empty', async () => {
    // Prepare
    const dlq = scriptedDlq([0]);

    // Act
    const outcome = await runContinuingDelivery(dlq.port, {
      initialWaitSeconds: 5,
      maxWaitSeconds: 60,
      maxRounds: 3,
    });

    // Assess
    expect(outcome).toEqual({ status: 'SUCCEEDED', rounds: 0 });
    expect(dlq.redrives()).toBe(0);
  });

  it('redrives with growing waits until the DLQ stays empty', async () => {
    // Prepare: the backend heals after the second redrive
    const dlq = scriptedDlq([3, 3, 0]);

    // Act
    const outcome = await runContinuingDelivery(dlq.port, {
      initialWaitSeconds: 5,
      maxWaitSeconds: 60,
      maxRounds: 5,
    });

    // Assess
    expect(outcome).toEqual({ status: 'SUCCEEDED', rounds: 2 });
    expect(dlq.waits).toEqual([5, 10]);
  });

  it('fails after the last round while dead letters remain, saying how many and what to do', async () => {
    // Prepare
    const dlq = scriptedDlq([2, 2, 2, 2]);

    // Act
    const outcome = await runContinuingDelivery(dlq.port, {
      initialWaitSeconds: 5,
      maxWaitSeconds: 8,
      maxRounds: 3,
    });

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.cause).toMatch(/gave up after 3 redrives: 2 dead letter\(s\) remain.*gd redrive/);
    expect(dlq.redrives()).toBe(3);
    expect(dlq.waits).toEqual([5, 8, 8]);
  });
});
