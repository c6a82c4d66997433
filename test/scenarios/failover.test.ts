import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type ApiAnswer, CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/** Promise 4 (docs/http-contract.md): a dead or silent SQS turns into a failover write in about a second or two. */
const FAILOVER_BOUND_MS = 2_500;

/**
 * The reference's failover store (docs/reference-mapping.md), end to end through `npm start`'s runner: SQS becomes unreachable
 * (refusing, then silent) behind a proxy on loopback; POSTs still get 202 from the failover table;
 * when SQS is back the drainer moves them to the queue and every one is delivered once.
 */
describe('scenario: SQS unreachable, messages accepted into the failover table', () => {
  const scenario = scenarioScaffold({ proxies: ['sqs'] });

  it('answers 202 store=failover while SQS refuses or is silent, then drains and delivers all once', async () => {
    // Prepare: provisioning needs SQS, so the proxy passes traffic until the runner is ready
    const { backend, sqsProxy } = scenario;
    const env = await scenarioEnv({
      CATERING_SERVICE_EP: await backend.start(),
      AWS_ENDPOINT_URL_SQS: await sqsProxy.start('pass'),
    });
    const { runner, view } = await scenario.startWithView(env);
    const answers: ApiAnswer[] = [];

    // Act: SQS refuses connections
    await sqsProxy.setMode('refuse');
    for (let i = 0; i < 5; i++)
      answers.push(await runner.post({ ...CATERING_PAYLOAD, passengerId: `refused-${i}` }));
    // Act: SQS accepts connections and never answers
    await sqsProxy.setMode('silent');
    for (let i = 0; i < 3; i++)
      answers.push(await runner.post({ ...CATERING_PAYLOAD, passengerId: `silent-${i}` }));
    const ids = answers.map((answer) => String(answer.body.messageId));
    const parked = await view.failoverIds();

    // Assess: each accepted, durably, in the failover table, within the bound
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.body.store).toBe('failover');
      expect(answer.ms).toBeLessThan(FAILOVER_BOUND_MS);
    }
    expect(new Set(ids).size).toBe(8);
    expect(parked.sort()).toEqual([...ids].sort());
    expect(backend.requests).toHaveLength(0);

    // Act: SQS is back
    await sqsProxy.setMode('pass');
    await waitFor(
      () => new Set(backend.idsReceived()),
      (received) => ids.every((id) => received.has(id)),
      30_000,
    );
    await sleep(1_500); // long enough for a duplicate delivery to show up, if there were one

    // Assess: drained, then delivered exactly once each; nothing left behind
    const received = backend.idsReceived();
    expect([...received].sort()).toEqual([...ids].sort());
    expect(await view.failoverIds()).toEqual([]);
    expect(await view.count(view.queueUrl)).toBe(0);
    expect(await view.count(view.dlqUrl)).toBe(0);
    expect(runner.output()).toMatch(/drained [1-8] from failover/);
    const slowest = Math.max(...answers.map((a) => a.ms));
    const lost = ids.filter((id) => !received.includes(id)).length;
    console.log(
      `failover: accepted ${answers.length} (5 while refused, 3 while silent; slowest answer ${slowest} ms), ` +
        `stored in failover ${parked.length}, delivered ${new Set(received).size}, dead-lettered 0, lost ${lost}`,
    );
    expect(await runner.stop()).toBe(0);
  });
});
