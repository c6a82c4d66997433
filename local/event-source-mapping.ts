import { setTimeout as delay } from 'node:timers/promises';
import { ListQueueTagsCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from '../shared/errors.js';
import { BREAKER_TAG, CONCURRENCY_TAG, PAUSE_TAG } from './local-stack-contract.js';
import { type PollTarget, pollOnce, type ReceiveGate, type SqsBatchHandler } from './sqs-poller.js';

/**
 * Lambda's SQS event source mapping, emulated for the local runner: `concurrency` poll loops per
 * queue (the mapping's maximum concurrency), each receiving up to a batch, invoking the function
 * with the SQS event and deleting what it did not report as failed (sqs-poller.ts). Records that
 * fail come back when their visibility timeout ends, as on AWS.
 */

/** A running mapping. */
export interface EventSourceMapping {
  /** Whether the pause tag (or the circuit breaker's) was set when last checked. */
  readonly paused: boolean;
  /** Stops receiving and waits (at most `graceMs`) for batches being processed to finish. */
  stop(graceMs?: number): Promise<void>;
}

/** What an emulated SQS event source mapping polls, which handler it calls, and how many loops. */
export interface EventSourceMappingOptions {
  readonly sqs: SQSClient;
  /** Queue, function name, batch size, function timeout, long-poll wait. */
  readonly target: PollTarget;
  readonly handler: SqsBatchHandler;
  /** Concurrent poll loops (the route's maximum concurrency). */
  readonly concurrency: number;
  /** For log lines: which route this is. */
  readonly name: string;
  /** Where the mapping reports outages, pauses and timeouts. */
  readonly report: (verb: string, text: string, level?: 'info' | 'warn' | 'error') => void;
  /** Pause tag checks at most this often. @default 1000 */
  readonly pauseCheckMs?: number;
  /** First and largest wait before polling an unreachable queue again. @default 500, 3000 */
  readonly backoffMs?: { readonly initial: number; readonly max: number };
}

class FunctionTimeoutError extends Error {}

/** Lambda ends an invocation at its timeout; the batch then counts as failed and comes back later. */
function withTimeout(handler: SqsBatchHandler, timeoutMs: number, onTimeout: () => void): SqsBatchHandler {
  return (event, context) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new FunctionTimeoutError());
      }, timeoutMs);
    });
    return Promise.race([handler(event, context), timeout]).finally(() => clearTimeout(timer));
  };
}

/** Starts the poll loops. */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const { sqs, target, report, name } = options;
  const pauseCheckMs = options.pauseCheckMs ?? 1_000;
  const backoff = options.backoffMs ?? { initial: 500, max: 3_000 };
  const stopSignal = new AbortController();
  let paused = false;
  let activeLoops = options.concurrency;
  let pauseCheckedAt = 0;
  let pauseCheck: Promise<void> | undefined;
  // Shared by the loops, so an outage is reported once, not once per loop.
  let outage = false;

  // Stopping ends every wait at once (the abort rejects the timer; that is not an error here).
  const sleep = (ms: number) => delay(ms, undefined, { signal: stopSignal.signal }).catch(() => undefined);

  /** Reads the pause tag, at most once per `pauseCheckMs` whatever the number of loops. */
  const refreshPaused = async () => {
    if (Date.now() - pauseCheckedAt < pauseCheckMs) return;
    pauseCheck ??= (async () => {
      try {
        const output = await sqs.send(new ListQueueTagsCommand({ QueueUrl: target.queueUrl }));
        const byOperator = output.Tags?.[PAUSE_TAG]?.trim().toLowerCase() === 'true';
        const byBreaker = output.Tags?.[BREAKER_TAG] !== undefined;
        const now = byOperator || byBreaker;
        // A breaker ramping deliveries back up limits the loops that run, as MaximumConcurrency does on AWS.
        const limit = Number(output.Tags?.[CONCURRENCY_TAG]);
        const nextLimit =
          Number.isInteger(limit) && limit > 0 ? Math.min(limit, options.concurrency) : options.concurrency;
        if (nextLimit !== activeLoops) {
          report(
            'concurrency',
            `${name}: ${nextLimit} of ${options.concurrency} poll loops (queue tag ${CONCURRENCY_TAG})`,
          );
          activeLoops = nextLimit;
        }
        if (now !== paused) {
          const why = byOperator
            ? `queue tag ${PAUSE_TAG}=true`
            : `circuit breaker open (queue tag ${BREAKER_TAG})`;
          report(
            now ? 'paused' : 'resumed',
            now
              ? `${name}: ${why}, messages wait in the queue`
              : `${name}: queue tags ${PAUSE_TAG} and ${BREAKER_TAG} cleared, delivering again`,
          );
        }
        paused = now;
      } catch {
        // Unreachable SQS is reported by the poll itself; keep the last known state.
      } finally {
        pauseCheckedAt = Date.now();
        pauseCheck = undefined;
      }
    })();
    await pauseCheck;
  };

  const handler = withTimeout(options.handler, target.timeoutMs, () =>
    report(
      'timed out',
      `${target.functionName} ran past its ${target.timeoutMs / 1000}s timeout; its records return after their visibility timeout`,
      'warn',
    ),
  );

  // The loops take turns to *receive* (their batches still run concurrently). SQS never hands one
  // message to two receivers within its visibility timeout, but moto's threaded server can when two
  // ReceiveMessage calls overlap: the message's receive count then jumps by two and it can reach the
  // DLQ attempts early. One receive at a time per queue keeps the emulation faithful to SQS.
  // The pause tag is read inside the turn, right before the receive: so when `paused` turns true,
  // no receive that began before the tag was seen can still be open.
  let receiving: Promise<unknown> = Promise.resolve();
  const oneReceiveAtATime: ReceiveGate = (receive) => {
    const whenItsTurn = async () => {
      await refreshPaused();
      return paused || stopSignal.signal.aborted ? undefined : receive();
    };
    const turn = receiving.then(whenItsTurn, whenItsTurn);
    receiving = turn.catch(() => undefined);
    return turn;
  };

  const loop = async (index: number) => {
    let delay = backoff.initial;
    while (!stopSignal.signal.aborted) {
      await refreshPaused();
      if (paused || index >= activeLoops) {
        await sleep(pauseCheckMs);
        continue;
      }
      try {
        await pollOnce(sqs, target, handler, oneReceiveAtATime);
        delay = backoff.initial;
        if (outage) {
          outage = false;
          report('sqs back', `${name}: the delivery queue answers again; polling resumed`);
        }
      } catch (error) {
        if (stopSignal.signal.aborted) break;
        if (!outage) {
          outage = true;
          report(
            'sqs down',
            `${name}: cannot poll the delivery queue (${describeError(error)}); retrying with backoff`,
            'warn',
          );
        }
        await sleep(delay);
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  };

  const loops = Array.from({ length: options.concurrency }, (_, index) => loop(index));

  return {
    get paused() {
      return paused;
    },
    async stop(graceMs = 10_000) {
      stopSignal.abort();
      await Promise.race([Promise.all(loops), delay(graceMs, undefined, { ref: false })]);
    },
  };
}
