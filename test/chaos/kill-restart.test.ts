import { setTimeout as sleep } from 'node:timers/promises';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { queueCounts } from '../../shared/aws/sqs-message-queue.js';
import {
  emulatorView,
  type RunnerProcess,
  scenarioEnv,
  showRunnerOutput,
  startRunnerProcess,
  waitFor,
} from '../scenarios/runner-process.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import {
  ClientLedger,
  deliveredIds as deliveredOf,
  postMessage,
  readAllIds,
  reconcile,
  reconciliationLine,
  waitUntilDelivered,
} from './chaos-support.js';

/**
 * A crash mid-stream: `npm start`'s runner (a child process) is SIGKILLed while clients are sending
 * and the forwarder is delivering, then started again with the same LOCAL_PREFIX on the same emulator,
 * so its queues and tables are the ones it left. Clients resend with their Idempotency-Key until they
 * get a 202. Every id answered 202, before or after the kill, must be delivered after the restart;
 * an id is delivered twice only if its first delivery was under way at the kill (the backend got it,
 * the runner died before recording it): the forwarder's per-id guarantee is at-least-once there.
 */

const MESSAGES = 40;
/** Messages answered 202 before the kill. */
const KILL_AFTER = 12;
/** Clients sending at once. */
const CONCURRENCY = 4;
/** Each delivery takes this long at the backend, so some are under way at the kill. */
const BACKEND_DELAY_MS = 1_000;
/**
 * The delivery queue's visibility timeout during the test: records in flight at the kill come back
 * after it. The runner's own is 6 x (route timeout + 20 s), 138 s with this test's 3 s route timeout,
 * the AWS recommendation for Lambda's invoke retries; it is shortened here so the test stays short.
 */
const VISIBILITY_SECONDS = 5;
/** Bounds: the whole stream, and the wait for deliveries after it. */
const STREAM_MS = 60_000;
/**
 * A copy of an id whose delivery lease the killed runner held (a client's retry can make a second
 * copy) is put back until that lease ends: the route's 3 s timeout plus the forwarder's 20 s margin
 * (functions/forwarder/delivery-lease.ts). The wait after the stream outlasts it and a visibility.
 */
const SETTLE_MS = 45_000;
/**
 * The wait for the queue to empty: a record the restarted runner received before the test shortened
 * its visibility again, and could not settle at once (a lease it found refused, say), is hidden for
 * the runner's own 138 s; then a lease's 23 s, and a margin. Spent only when such a copy exists.
 */
const QUEUE_SETTLE_MS = (138 + 23 + 15) * 1000;

describe('chaos: the runner killed and restarted mid-stream', () => {
  const backend = new LoopbackBackend();
  const runners: RunnerProcess[] = [];

  afterAll(async () => {
    for (const runner of runners) runner.kill();
    await backend.stop();
  });

  it(
    'delivers every id answered 202 before or after a SIGKILL once the runner is back',
    async () => {
      // Prepare
      const target = await backend.start();
      backend.fallback = { status: 200, delayMs: BACKEND_DELAY_MS };
      const env = await scenarioEnv({ CATERING_SERVICE_EP: target, TARGET_TIMEOUT_SECONDS: '3' });
      runners.push(await startRunnerProcess(env));
      const view = await emulatorView(env.LOCAL_PREFIX ?? '');
      // Each start provisions the queue with the runner's own visibility: shortened after each.
      const shortenVisibility = () =>
        view.sqs.send(
          new SetQueueAttributesCommand({
            QueueUrl: view.queueUrl,
            Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
          }),
        );
      await shortenVisibility();
      const apiUrl = `http://127.0.0.1:${env.PORT}`;
      const ledger = new ClientLedger();
      const acceptedAt = { beforeKill: 0, afterKill: 0 };
      let crashedAt = Number.POSITIVE_INFINITY;
      let noAnswer = 0;
      const streamEnds = Date.now() + STREAM_MS;

      /** One client: its key, resent (every 300 ms, bounded) until a 202. */
      const client = async (index: number) => {
        const key = `kill-${env.LOCAL_PREFIX}-${index}`;
        const body = JSON.stringify({ passengerId: `p-${index}`, train: 'RLC-5051', class: 'first' });
        while (Date.now() < streamEnds) {
          const answer = await postMessage(apiUrl, body, key).catch(() => undefined);
          if (answer?.status === 202 && answer.messageId) {
            ledger.accepted.add(answer.messageId);
            acceptedAt[Date.now() < crashedAt ? 'beforeKill' : 'afterKill']++;
            return;
          }
          if (answer === undefined) noAnswer++;
          else if (answer.status !== 503) return void ledger.unexpected.push(`${index}: ${answer.status}`);
          await sleep(300);
        }
        ledger.unexpected.push(`${index}: no 202 within the stream's bound`);
      };

      // Act: the stream, with a crash and a restart in the middle of it
      const running = new Set<Promise<void>>();
      const stream = (async () => {
        for (let i = 0; i < MESSAGES; i++) {
          while (running.size >= CONCURRENCY) await Promise.race(running);
          const sending = client(i).finally(() => running.delete(sending));
          running.add(sending);
          await sleep(100);
        }
        await Promise.all(running);
      })();
      await waitFor(
        () => ledger.accepted.size,
        (n) => n >= KILL_AFTER,
        STREAM_MS,
      );
      crashedAt = Date.now();
      const atKill = backend.requests.filter((r) => r.receivedAt > crashedAt - BACKEND_DELAY_MS).length;
      const deliveredBeforeKill = new Set(backend.requests.map((r) => String(r.headers['idempotency-key'])));
      const waitingAtKill = [...ledger.accepted].filter((id) => !deliveredBeforeKill.has(id)).length;
      await runners[0]?.crash();
      runners.push(await startRunnerProcess(env));
      await shortenVisibility();
      const restartMs = Date.now() - crashedAt;
      await stream;
      const deliveredIds = () => deliveredOf(backend);
      await waitUntilDelivered(ledger, backend, SETTLE_MS);
      // Records under way at the kill come back after their visibility timeout, and copies put back
      // until a lease ends after their delay: wait for both.
      const leftInQueue = await waitFor(
        async () => {
          const { visible, inFlight, delayed } = await queueCounts(view.sqs, view.queueUrl);
          return visible + inFlight + delayed;
        },
        (n) => n === 0,
        QUEUE_SETTLE_MS,
      );
      await sleep(1_000); // a second copy, if one were coming, has its chance to arrive
      const result = reconcile({
        ledger,
        deliveries: deliveredIds(),
        deadLetterIds: await readAllIds(view.sqs, view.dlqUrl, 2),
        failoverIds: await view.failoverIds(),
        queuedIds: await readAllIds(view.sqs, view.queueUrl, 2),
        ambiguous: new Set(),
      });
      view.close();

      // Assess: a repeat only for an id the backend had before the kill
      const beforeKill = new Set(
        backend.requests
          .filter((r) => r.receivedAt < crashedAt)
          .map((r) => String(r.headers['idempotency-key'])),
      );
      const counts = new Map<string, number>();
      for (const id of deliveredIds()) counts.set(id, (counts.get(id) ?? 0) + 1);
      const unexplainedRepeats = [...counts]
        .filter(([id, n]) => n > 1 && !beforeKill.has(id))
        .map(([id]) => id);
      console.log(
        `kill and restart: accepted ${result.accepted} (before the kill ${acceptedAt.beforeKill}, after ${acceptedAt.afterKill}), ` +
          `delivered ${result.delivered}, lost ${result.lost.length}, duplicate deliveries ${result.duplicateDeliveries} ` +
          `(unexplained ${unexplainedRepeats.length}); at the kill: ${atKill} deliveries under way, ` +
          `${waitingAtKill} accepted ids not yet at the backend; ` +
          `requests without an answer ${noAnswer}, back after ${restartMs} ms; ${reconciliationLine(result)}`,
      );
      const failed = result.lost.length > 0 || ledger.unexpected.length > 0;
      for (const runner of runners) showRunnerOutput(runner, failed);
      expect(ledger.unexpected).toEqual([]);
      expect(result.accepted).toBe(MESSAGES);
      expect(acceptedAt.beforeKill).toBeGreaterThanOrEqual(KILL_AFTER);
      expect(acceptedAt.afterKill).toBeGreaterThan(0);
      expect(result.lost).toEqual([]);
      expect(result.delivered).toBe(MESSAGES);
      expect(unexplainedRepeats).toEqual([]);
      expect(leftInQueue).toBe(0);
    },
    STREAM_MS + SETTLE_MS + QUEUE_SETTLE_MS + 30_000,
  );
});
