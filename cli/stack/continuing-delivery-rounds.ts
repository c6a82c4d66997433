import type { ContinuingDeliveryConfig } from '../../shared/config/operations.js';

/** How a continuing-delivery run ended (Step Functions' execution statuses). */
export type KeepTryingStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'RUNNING';

/** How continuing delivery ended for a route: DLQ empty, or given up with dead letters left. */
export interface KeepTryingOutcome {
  readonly status: KeepTryingStatus;
  /** The Step Functions execution, on AWS. */
  readonly executionArn?: string;
  /** Redrives made (known locally; on AWS read the execution's history). */
  readonly rounds?: number;
  /** Why it failed, when it did. */
  readonly cause?: string;
}

/** What one round of the local loop needs from the stack. */
export interface RoundsPort {
  /** Dead letters now waiting (SQS's approximate count). */
  countDeadLetters(): Promise<number>;
  /** Moves the dead letters back to the delivery queue; resolves with how many moved. */
  redrive(): Promise<number>;
  sleep(seconds: number): Promise<void>;
  /** Told before each wait, for a progress line. */
  onRound?(round: number, moved: number, waitSeconds: number): void;
}

/** The wait after round `round` (1-based): the initial wait doubled each round, capped. */
export function roundWaitSeconds(
  round: number,
  policy: Pick<ContinuingDeliveryConfig, 'initialWaitSeconds' | 'maxWaitSeconds'>,
): number {
  return Math.min(policy.maxWaitSeconds, policy.initialWaitSeconds * 2 ** (round - 1));
}

/**
 * The continuing-delivery state machine's algorithm (infra/constructs/continuing-delivery.ts), run
 * in-process where there is no Step Functions (the local stack only; on AWS `gd keep-trying` starts
 * and follows the state machine): while the DLQ has messages, redrive it and wait, doubling the wait
 * up to its cap, for at most `maxRounds` redrives; then give up. Why locally this loop and not the
 * synthesized definition: docs/retries.md, "Continuing delivery on AWS and locally".
 */
export async function runContinuingDelivery(
  port: RoundsPort,
  policy: Pick<ContinuingDeliveryConfig, 'initialWaitSeconds' | 'maxWaitSeconds' | 'maxRounds'>,
): Promise<KeepTryingOutcome> {
  for (let round = 1; round <= policy.maxRounds; round++) {
    if ((await port.countDeadLetters()) === 0) return { status: 'SUCCEEDED', rounds: round - 1 };
    const moved = await port.redrive();
    const wait = roundWaitSeconds(round, policy);
    port.onRound?.(round, moved, wait);
    await port.sleep(wait);
  }
  const left = await port.countDeadLetters();
  if (left === 0) return { status: 'SUCCEEDED', rounds: policy.maxRounds };
  return {
    status: 'FAILED',
    rounds: policy.maxRounds,
    cause: `gave up after ${policy.maxRounds} redrives: ${left} dead letter(s) remain; fix the backend, then gd redrive`,
  };
}
