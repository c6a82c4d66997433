import type { SQSBatchResponse } from 'aws-lambda';
import { type BreakerState, nextProbeAt } from '../../shared/circuit-breaker.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import type { DeliveryResponse } from '../../shared/ports.js';
import type { ForwarderDeps } from './forwarder-deps.js';
import { type ReceivedMessage, receivesAsAttempts } from './received-message.js';

/**
 * The forwarder's side of a route's circuit breaker (shared/circuit-breaker.ts has the states):
 * counting failed attempts while closed, opening it, and holding back what arrives while it is open.
 * The probe that closes it again is probe-breaker.ts.
 */

/** A forwarder whose route has a breaker. */
export type BreakerDeps = ForwarderDeps & {
  readonly settings: Required<Pick<ForwarderDeps['settings'], 'breaker'>> & ForwarderDeps['settings'];
  readonly breaker: NonNullable<ForwarderDeps['breaker']>;
};

/** Whether the route has a breaker to act on. */
export function hasBreaker(deps: ForwarderDeps): deps is BreakerDeps {
  return deps.settings.breaker !== undefined && deps.breaker !== undefined;
}

/**
 * An attempt that says the backend is down or overwhelmed: no answer (network error, timeout), 408,
 * 429 or 5xx. Any other answer, a non-retryable 4xx included, shows a backend that is up.
 */
export function isBackendFailure(response: DeliveryResponse): boolean {
  if (response.kind === 'no-answer') return true;
  return response.status === 408 || response.status === 429 || response.status >= 500;
}

/**
 * The breaker as a batch starts. Best effort: when it cannot be read, deliveries go on as if it were
 * closed (the breaker spares the backend; it never decides whether a message is safe).
 */
export async function readBreaker(deps: BreakerDeps): Promise<BreakerState | undefined> {
  try {
    return await deps.breaker.store.read(deps.settings.route);
  } catch (error) {
    deps.logger.warn('circuit breaker unreadable; delivering as if closed', {
      route: deps.settings.route,
      error: describeError(error),
    });
    return undefined;
  }
}

/**
 * How long after an open a held batch is still expected: polls already under way when the mapping
 * was disabled can hand out a batch or two. Later than this, the stop is tried again.
 */
const STOP_SETTLE_MS = 60_000;

/**
 * What a forwarder container knows of its route's failure count between batches: whether it counted
 * a failure since it last reset the count. With the count read at each batch's start, it tells a
 * success whether there may be a count to reset, so a delivery costs no write when there is none.
 */
export interface FailureHint {
  countedSinceReset: boolean;
}

/**
 * After each attempt of a batch that started closed: a backend failure is counted, and the count
 * that reaches the threshold opens the breaker (exactly one caller wins the conditional write) and
 * stops the route's deliveries; any other answer resets a count that may not be zero (the batch
 * start read it above zero, or this container counted one since), once per batch. Across several
 * containers "consecutive" is approximate: a success in one that saw no count does not reset a
 * count another one started after its batch began.
 */
export function failureCounter(
  deps: BreakerDeps,
  atStart: BreakerState | undefined,
  hint: FailureHint,
  onOpened: () => void = () => undefined,
) {
  let resetDone = false;
  const { route, breaker } = deps.settings;
  return async (response: DeliveryResponse): Promise<void> => {
    try {
      if (!isBackendFailure(response)) {
        const mayHaveCount = (atStart?.failures ?? 0) > 0 || hint.countedSinceReset;
        if (mayHaveCount && !resetDone) {
          resetDone = true;
          hint.countedSinceReset = false;
          await deps.breaker.store.resetFailures(route);
        }
        return;
      }
      resetDone = false;
      hint.countedSinceReset = true;
      const failures = await deps.breaker.store.countFailure(route);
      if (failures === undefined || failures < breaker.failures) return;
      const now = deps.clock.now();
      const opened = await deps.breaker.store.open(
        route,
        breaker.failures,
        now,
        nextProbeAt(now, breaker.probeSeconds),
      );
      if (!opened) return;
      onOpened();
      deps.logger.error('circuit breaker opened: deliveries stop, messages wait in the queue', {
        event: LOG_EVENT.BREAKER_OPENED,
        route,
        failures,
        probeSeconds: breaker.probeSeconds,
      });
      await switchDeliveries(deps, 'stop');
    } catch (error) {
      // The count is protection, not bookkeeping the message depends on: the attempt goes on as it was.
      deps.logger.warn('circuit breaker not updated', { route, error: describeError(error) });
    }
  };
}

/** Stops or starts the route's deliveries; a failure is logged, and the next probe tries again. */
export async function switchDeliveries(
  deps: BreakerDeps,
  action: 'stop' | 'start',
  concurrency?: number,
): Promise<boolean> {
  try {
    if (action === 'start') await deps.breaker.deliveries.start(concurrency);
    else await deps.breaker.deliveries.stop();
    return true;
  } catch (error) {
    deps.logger.error(`could not ${action} the route's deliveries for its circuit breaker`, {
      event: LOG_EVENT.BREAKER_SWITCH_FAILED,
      route: deps.settings.route,
      action,
      error: describeError(error),
    });
    return false;
  }
}

/**
 * Puts a received record back without counting an attempt: a copy with the same id and attributes,
 * carrying the attempts made so far on this queue (this receive excluded) and when it first arrived,
 * offered again after `delaySeconds`. The caller then lets the received one be deleted. A fresh copy
 * rather than a visibility change, because SQS counts every receive towards the queue's
 * maxReceiveCount: a message waiting out a long outage would otherwise reach the DLQ untried.
 */
export async function putBack(
  message: ReceivedMessage,
  deps: ForwarderDeps,
  delaySeconds: number,
): Promise<void> {
  const { record, envelope } = message;
  const attemptsMade = (await receivesAsAttempts(message, deps)) - 1;
  const sentMs = Number(record.attributes.SentTimestamp);
  const queuedAt =
    envelope.queuedAt ?? (Number.isFinite(sentMs) ? new Date(sentMs).toISOString() : undefined);
  await deps.queue.requeue(
    {
      ...envelope,
      ...(attemptsMade > 0 ? { queueAttempts: attemptsMade } : {}),
      ...(queuedAt ? { queuedAt } : {}),
    },
    delaySeconds,
  );
}

/**
 * A batch received while the breaker is open or probing (received just before the mapping stopped,
 * or locally between two looks at the switch): every record is put back untried and reported done,
 * so Lambda deletes the received copy; one that could not be put back is reported failed and simply
 * comes back later. Batches still arriving a minute after the open mean the opener's stop did not
 * take (a failed call): the switch is stopped again.
 */
export async function holdBatch(
  messages: readonly ReceivedMessage[],
  deps: BreakerDeps,
  state: BreakerState,
): Promise<SQSBatchResponse & { held: number }> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    messages.map(async (message) => {
      try {
        // Back after the probe interval (the queue caps a delay at SQS's 900 s).
        await putBack(message, deps, deps.settings.breaker.probeSeconds);
      } catch {
        failures.push({ itemIdentifier: message.record.messageId });
      }
    }),
  );
  const held = messages.length - failures.length;
  deps.logger.warn('circuit breaker open: records put back untried', {
    event: LOG_EVENT.BREAKER_HELD,
    route: deps.settings.route,
    state: state.state,
    held,
    notHeld: failures.length,
  });
  // Batches still arriving a minute after it opened mean the opener's stop did not take: again.
  const openedMs = Date.parse(state.openedAt ?? '');
  if (!Number.isFinite(openedMs) || deps.clock.now().getTime() - openedMs > STOP_SETTLE_MS) {
    await switchDeliveries(deps, 'stop');
  }
  return { batchItemFailures: failures, held };
}
