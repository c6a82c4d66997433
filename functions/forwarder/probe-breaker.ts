import type { SQSRecord } from 'aws-lambda';
import {
  BREAKER_PROBE_EVENT,
  type BreakerPosition,
  nextProbeAt,
  nextRampStep,
  probedMessageDelaySeconds,
  RAMP_START_CONCURRENCY,
} from '../../shared/circuit-breaker.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { fingerprintOf } from '../../shared/message-record.js';
import type { DeliveryResponse, ProbeSource } from '../../shared/ports.js';
import { attemptDelivery } from './attempt-delivery.js';
import { type BreakerDeps, isBackendFailure, putBack, switchDeliveries } from './circuit-breaker.js';
import { takeLease } from './delivery-lease.js';
import { settleRefusal } from './forward-record.js';
import type { ForwardOutcome } from './forwarder-deps.js';
import { type ReceivedMessage, receivedMessage, receivesAsAttempts } from './received-message.js';
import { deadLetterUnsendable } from './resolve-body.js';
import { settleDelivery } from './settle-delivery.js';

/** Whether an invocation is the probe schedule's rather than SQS's. */
export function isProbeEvent(event: unknown): event is typeof BREAKER_PROBE_EVENT {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { probe?: unknown }).probe === BREAKER_PROBE_EVENT.probe
  );
}

/** What one probe tick did. */
export interface ProbeReport {
  /** The breaker after the tick. */
  readonly state: BreakerPosition;
  /** Backend attempts the tick made (0 when the breaker was closed, not due, or the queue empty). */
  readonly attempts: number;
  /** Why it did what it did, for the log and the local runner. */
  readonly detail: string;
}

/** Messages one tick may look at before it gives up finding one that tells anything of the backend. */
const MAX_MESSAGES_PER_PROBE = 5;

/** Extra seconds a probe's message stays hidden beyond the attempt's own timeout. */
const PROBE_VISIBILITY_MARGIN_SECONDS = 30;

/**
 * One tick of a route's probe schedule. When the breaker is open and its probe time has come, this
 * tick (and no concurrent one: a conditional open → half-open) receives one message and delivers it
 * with the forwarder's own code, not counting the attempt:
 * - the backend answered at all (2xx, or a status that is not a failure): the breaker closes and the
 *   route's deliveries start again, unless an operator paused it (`gd pause` wins);
 * - no answer, timeout, 408, 429 or 5xx: the message goes back as it was (its attempts unchanged,
 *   after {@link probedMessageDelaySeconds}) and the breaker stays open until the next probe time;
 * - an id already delivered (or a reused key's refused copy) tells nothing: it is dropped as the
 *   forwarder would, and the next message is tried.
 * An empty queue leaves the breaker open: there is nothing to learn the backend's health from.
 */
export async function probeBreaker(deps: BreakerDeps, source: ProbeSource): Promise<ProbeReport> {
  const { route, timeoutSeconds } = deps.settings;
  const state = await deps.breaker.store.read(route, true);
  if (state.state === 'closed') {
    return state.rampConcurrency === undefined
      ? { state: 'closed', attempts: 0, detail: 'closed' }
      : rampUp(deps, state.rampConcurrency);
  }
  const now = deps.clock.now();
  if (state.probeAt !== undefined && Date.parse(state.probeAt) > now.getTime()) {
    return { state: state.state, attempts: 0, detail: `next probe at ${state.probeAt}` };
  }
  const lease = new Date(now.getTime() + (timeoutSeconds + 2 * PROBE_VISIBILITY_MARGIN_SECONDS) * 1000);
  if (!(await deps.breaker.store.startProbe(route, now, lease))) {
    return { state: state.state, attempts: 0, detail: 'another probe is under way' };
  }
  deps.logger.info('circuit breaker half-open: trying one message', {
    event: LOG_EVENT.BREAKER_PROBING,
    route,
    openedAt: state.openedAt,
  });

  let attempts = 0;
  for (let tried = 0; tried < MAX_MESSAGES_PER_PROBE; tried++) {
    const record = await source.receiveOne(timeoutSeconds + PROBE_VISIBILITY_MARGIN_SECONDS);
    if (!record) return stayOpen(deps, now, attempts, 'no message to try');
    const tick = await tryOne(record, deps, source);
    if (tick.response) attempts++;
    if (tick.response && !isBackendFailure(tick.response)) return close(deps, now, attempts, tick.outcome);
    if (tick.response || tick.outcome === 'not-delivered' || tick.outcome === 'error') {
      return stayOpen(deps, now, attempts, tick.detail);
    }
    // Delivered before, or a refused copy: nothing learnt of the backend; try the next message.
  }
  return stayOpen(deps, now, attempts, `no message among ${MAX_MESSAGES_PER_PROBE} needed delivering`);
}

/** What a probe's one message came to: `not-delivered` when it was put back untried or after a failed try. */
type ProbeOutcome = ForwardOutcome | 'not-delivered' | 'error';

/**
 * One message through the forwarder's own steps: its record's verdict, the attempt, and, when the
 * backend answered something other than a retryable failure, the settling (delivered, or
 * dead-lettered for a non-retryable status). A retryable failure is not counted: no backoff, no
 * record of it, never dead-lettered for it; the message goes back as it was. The received copy is
 * settled here.
 */
async function tryOne(
  record: SQSRecord,
  deps: BreakerDeps,
  source: ProbeSource,
): Promise<{ outcome: ProbeOutcome; response?: DeliveryResponse; detail: string }> {
  const message = receivedMessage(record, deps.settings.route, deps.clock.now().getTime());
  let response: DeliveryResponse | undefined;
  let outcome: ProbeOutcome;
  let detail: string;
  try {
    const tried = await probeOnce(message, deps);
    outcome = tried.outcome;
    response = tried.response;
    detail = describeResponse(response) ?? outcome;
  } catch (error) {
    outcome = 'error';
    detail = describeError(error);
  }
  if (outcome === 'not-delivered' || outcome === 'error') {
    try {
      await putBack(message, deps, probedMessageDelaySeconds(deps.settings.breaker.probeSeconds));
    } catch (error) {
      // Left as received: it comes back when its visibility ends, one receive more on its count.
      deps.logger.warn('probe could not put its message back; it returns after its visibility timeout', {
        route: deps.settings.route,
        messageId: message.envelope.id,
        error: describeError(error),
      });
      return { outcome, ...(response ? { response } : {}), detail };
    }
  }
  await source.delete(record.receiptHandle);
  return { outcome, ...(response ? { response } : {}), detail };
}

/** The forwarder's steps for one message, with a retryable failure left to the probe. */
async function probeOnce(
  message: ReceivedMessage,
  deps: BreakerDeps,
): Promise<{ outcome: ForwardOutcome | 'not-delivered'; response?: DeliveryResponse }> {
  const { envelope } = message;
  const receiveCount = await receivesAsAttempts(message, deps);
  const number = envelope.priorAttempts + receiveCount;
  const fingerprint = fingerprintOf(envelope);
  const admission = await takeLease(message, fingerprint, deps);
  // Unreadable, or another copy is being delivered: put back as the probe puts back a failure.
  if (admission.kind === 'unknown' || admission.kind === 'leased') return { outcome: 'not-delivered' };
  if (admission.kind !== 'attempt') {
    return { outcome: await settleRefusal(message, admission, number, deps) };
  }
  const attempt = await attemptDelivery(envelope, number, deps);
  if (attempt.kind === 'not-attempted') {
    await endLease(message, admission.holder, deps);
    return { outcome: 'not-delivered' };
  }
  const settling = { message, fingerprint, receiveCount, stored: admission.stored, holder: admission.holder };
  // A missing or altered large body says nothing of the backend: dead-lettered, as the forwarder does.
  if (attempt.kind === 'refused') {
    return { outcome: await deadLetterUnsendable(settling, number, attempt.reason, deps) };
  }
  const { response } = attempt;
  if (attempt.verdict.kind === 'retryable') {
    await endLease(message, admission.holder, deps);
    return { outcome: 'not-delivered', response };
  }
  return { outcome: await settleDelivery(settling, attempt, deps), response };
}

/**
 * A try the probe puts back is not recorded, so its delivery lease is ended here: the copy put back
 * must not wait behind it. A failure is logged; the lease then ends by itself.
 */
async function endLease(message: ReceivedMessage, holder: string, deps: BreakerDeps): Promise<void> {
  try {
    await deps.records.endLease(message.envelope, holder);
  } catch (error) {
    deps.logger.warn('probe could not end its delivery lease; it ends by itself', {
      route: deps.settings.route,
      messageId: message.envelope.id,
      error: describeError(error),
    });
  }
}

function describeResponse(response: DeliveryResponse | undefined): string | undefined {
  if (!response) return undefined;
  return response.kind === 'answered'
    ? `backend answered ${response.status}`
    : `no answer: ${response.error}`;
}

async function stayOpen(
  deps: BreakerDeps,
  probeStarted: Date,
  attempts: number,
  detail: string,
): Promise<ProbeReport> {
  const { route, breaker } = deps.settings;
  const next = nextProbeAt(probeStarted, breaker.probeSeconds);
  await deps.breaker.store.reopen(route, next);
  deps.logger.warn('circuit breaker probe: still open', {
    event: LOG_EVENT.BREAKER_PROBE_FAILED,
    route,
    detail,
    nextProbeAt: next.toISOString(),
  });
  return { state: 'open', attempts, detail };
}

/**
 * Closes the breaker and starts deliveries: at {@link RAMP_START_CONCURRENCY} batches at once when
 * the route allows more, raised at each later tick ({@link rampUp}). Deliveries are started before
 * the item says closed: a start that fails leaves the breaker open, so the next probe tries again
 * (closed first, a failed start would leave a closed breaker in front of a stopped route). A route
 * an operator paused stays stopped, and at its own concurrency when resumed.
 */
async function close(
  deps: BreakerDeps,
  probeStarted: Date,
  attempts: number,
  outcome: ProbeOutcome,
): Promise<ProbeReport> {
  const { route } = deps.settings;
  const routeConcurrency = deps.settings.breaker.concurrency ?? RAMP_START_CONCURRENCY;
  const paused = (await deps.breaker.store.read(route, true)).manualPause;
  const ramp = !paused && routeConcurrency > RAMP_START_CONCURRENCY;
  const startAt = ramp ? RAMP_START_CONCURRENCY : undefined;
  if (!paused && !(await switchDeliveries(deps, 'start', startAt))) {
    return stayOpen(
      deps,
      probeStarted,
      attempts,
      'the backend answered, but deliveries could not be started',
    );
  }
  const closed = await deps.breaker.store.close(route, deps.clock.now(), startAt);
  if (!closed) return { state: 'open', attempts, detail: 'the breaker moved while probing' };
  // `gd pause` may have landed between the read and the start: it wins.
  if (!paused && closed.manualPause) await switchDeliveries(deps, 'stop');
  const stillPaused = paused || closed.manualPause;
  deps.logger.info('circuit breaker closed: the backend answered a probe', {
    event: LOG_EVENT.BREAKER_CLOSED,
    route,
    probeOutcome: outcome,
    deliveries: stillPaused ? 'still paused by an operator (gd resume)' : 'resumed',
    ...(startAt === undefined ? {} : { concurrency: startAt, rampingTo: routeConcurrency }),
  });
  return { state: 'closed', attempts, detail: stillPaused ? 'closed; paused by an operator' : 'closed' };
}

/** One ramp-up step after a close: double the batches allowed at once, up to the route's own. */
async function rampUp(deps: BreakerDeps, current: number): Promise<ProbeReport> {
  const { route } = deps.settings;
  const next = nextRampStep(current, deps.settings.breaker.concurrency ?? RAMP_START_CONCURRENCY);
  // The step is claimed first, so two ticks at once do not both raise it.
  if (!(await deps.breaker.store.advanceRamp(route, current, next))) {
    return { state: 'closed', attempts: 0, detail: 'ramp moved meanwhile' };
  }
  try {
    await deps.breaker.deliveries.limit(next);
  } catch (error) {
    // Not fatal: the route runs at the step it had; the ramp is over, at the route's own value on
    // its next deploy. Logged so an operator can see why it stayed lower.
    deps.logger.warn('circuit breaker ramp-up step not applied', {
      event: LOG_EVENT.BREAKER_SWITCH_FAILED,
      route,
      concurrency: next ?? 'route',
      error: describeError(error),
    });
  }
  const detail = next === undefined ? 'ramp-up done' : `ramping up: ${next} batches at once`;
  deps.logger.info(`circuit breaker closed, ${detail}`, { route, concurrency: next ?? 'route' });
  return { state: 'closed', attempts: 0, detail };
}
