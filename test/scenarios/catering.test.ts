import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { shortId } from '../../local/journey-log.js';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { ATTR } from '../../shared/envelope.js';
import { CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/**
 * The reference's catering scenario (docs/reference-mapping.md), end to end through `npm start`'s runner: the catering service is down, the message is
 * retried with backoff, ends in fail-messages after max attempts; the service recovers, the dead
 * letter is redriven and delivered once, under the id the 202 gave.
 */
describe('scenario: catering registration while the catering service is down', () => {
  const scenario = scenarioScaffold();

  it('retries, dead-letters after max attempts, and delivers once after the redrive', async () => {
    // Prepare
    const { backend } = scenario;
    backend.fallback = { status: 503 };
    const env = await scenarioEnv({ CATERING_SERVICE_EP: await backend.start() });
    const { runner, view } = await scenario.startWithView(env);
    const dlqUrl = view.dlqUrl;

    // Act: the reference curl while the backend fails
    const accepted = await runner.post(CATERING_PAYLOAD);
    const id = String(accepted.body.messageId);
    const postedAt = Date.now();
    const deadLetters = await waitFor(
      () => view?.peek(dlqUrl) ?? [],
      (messages) => messages.length > 0,
      30_000,
    );
    const deadLetteredAfterMs = Date.now() - postedAt;

    // Assess: three attempts with backoff, then fail-messages with the reason recorded
    expect(accepted.status).toBe(202);
    expect(accepted.body.store).toBe('queue');
    const attempts = backend.requests.filter((r) => r.headers['idempotency-key'] === id);
    expect(attempts.map((r) => r.headers['x-delivery-attempt'])).toEqual(['1', '2', '3']);
    // Two backoff waits of at least a second each (RETRY_BASE_SECONDS=1): not a tight loop.
    expect(deadLetteredAfterMs).toBeGreaterThanOrEqual(2_000);
    expect(runner.output()).toMatch(new RegExp(`attempt 1 +${shortId(id)} → 503, retry in [12]s`));
    expect(deadLetters).toHaveLength(1);
    const [deadLetter] = deadLetters;
    expect(deadLetter?.Body).toBe(JSON.stringify(CATERING_PAYLOAD));
    expect(deadLetter?.MessageAttributes?.[ATTR.MESSAGE_ID]?.StringValue).toBe(id);
    expect(deadLetter?.MessageAttributes?.[ATTR.DEAD_LETTER_REASON]?.StringValue).toMatch(/503/);
    expect(await view.count(view.queueUrl)).toBe(0);

    // Act: the catering service recovers; redrive as the CLI does on an emulator
    backend.fallback = { status: 200 };
    const redrive = await redriveDeadLetters(view.sqs, { dlqUrl, queueUrl: view.queueUrl });
    const delivered = await waitFor(
      () => backend.requests.filter((r) => r.headers['idempotency-key'] === id),
      (requests) => requests.length >= 4,
      20_000,
    );
    await sleep(2_000); // long enough for a duplicate delivery to show up, if there were one

    // Assess: delivered exactly once more, with the same Idempotency-Key, nothing left anywhere
    expect(redrive).toEqual({ received: 1, moved: 1, failed: 0, refused: 0, skipped: 0 });
    const final = backend.requests.filter((r) => r.headers['idempotency-key'] === id);
    expect(final).toHaveLength(4);
    expect(delivered[3]?.headers['x-delivery-attempt']).toBe('4');
    expect(delivered[3]?.headers['x-message-id']).toBe(id);
    expect(delivered[3]?.body).toBe(JSON.stringify(CATERING_PAYLOAD));
    expect(await view.count(view.queueUrl)).toBe(0);
    expect(await view.count(dlqUrl)).toBe(0);
    expect(runner.output()).toMatch(new RegExp(`delivered +${shortId(id)} attempt 4 \\(200\\)`));
    const lost = final.length >= 4 ? 0 : 1;
    console.log(
      `catering: accepted 1, delivered ${final.length - 3}, dead-lettered ${deadLetters.length} then redriven ${redrive.moved}, lost ${lost}`,
    );
    expect(await runner.stop()).toBe(0);
  });
});
