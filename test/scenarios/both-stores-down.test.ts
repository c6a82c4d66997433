import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type ApiAnswer, CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/**
 * Promise 1 (docs/http-contract.md) through `npm start`'s runner: with SQS and DynamoDB both unreachable the API
 * answers 503 with Retry-After, and nothing of those requests is stored or delivered later.
 */
describe('scenario: SQS and DynamoDB both unreachable', () => {
  const scenario = scenarioScaffold({ proxies: ['sqs', 'dynamoDb'] });

  it('rejects with 503 and Retry-After, and stores or delivers none of those requests', async () => {
    // Prepare
    const { backend, sqsProxy, dynamoDbProxy } = scenario;
    const env = await scenarioEnv({
      CATERING_SERVICE_EP: await backend.start(),
      AWS_ENDPOINT_URL_SQS: await sqsProxy.start('pass'),
      AWS_ENDPOINT_URL_DYNAMODB: await dynamoDbProxy.start('pass'),
    });
    const { runner, view } = await scenario.startWithView(env);
    const keys = [0, 1, 2].map(() => `both-down-${randomUUID()}`);

    // Act: both stores refuse; the client sends its own Idempotency-Key, as a retrying client would
    await Promise.all([sqsProxy.setMode('refuse'), dynamoDbProxy.setMode('refuse')]);
    const answers: ApiAnswer[] = [];
    for (const key of keys) answers.push(await runner.post(CATERING_PAYLOAD, { 'idempotency-key': key }));
    await Promise.all([sqsProxy.setMode('pass'), dynamoDbProxy.setMode('pass')]);
    await sleep(3_500); // a few drain intervals and forwarder polls with both stores back

    // Assess: 503 + Retry-After each, and no trace of them anywhere
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    expect(backend.idsReceived().filter((id) => keys.includes(id))).toEqual([]);
    expect((await view.failoverIds()).filter((id) => keys.includes(id))).toEqual([]);
    expect(await view.count(view.queueUrl)).toBe(0);
    expect(await view.count(view.dlqUrl)).toBe(0);

    // Act: a control message once both are back, to show the runner would have delivered them
    const control = await runner.post(CATERING_PAYLOAD, { 'idempotency-key': `control-${randomUUID()}` });
    const controlId = String(control.body.messageId);
    await waitFor(
      () => backend.idsReceived(),
      (ids) => ids.includes(controlId),
      15_000,
    );

    // Assess
    expect(control.status).toBe(202);
    expect(control.body.store).toBe('queue');
    expect(backend.idsReceived()).toEqual([controlId]);
    console.log(
      `both stores down: rejected ${answers.filter((a) => a.status === 503).length} with 503, ` +
        `accepted 0, stored 0, delivered 0, lost 0 (nothing was promised); control after recovery: accepted 1, delivered 1`,
    );
    expect(await runner.stop()).toBe(0);
  });
});
