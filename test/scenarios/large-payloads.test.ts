import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/payloads.js';
import { CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/** A catering registration carrying about `bytes` bytes of comments, as JSON text. */
function largeRegistration(passengerId: string, bytes: number) {
  return {
    ...CATERING_PAYLOAD,
    passengerId,
    notes: 'lorem ipsum dolor sit amet '.repeat(Math.ceil(bytes / 27)),
  };
}

/**
 * Large bodies end to end through `npm start`'s runner: a 4.5 MB registration through the queue, and
 * a 1 MB one accepted while SQS refuses (the failover table holds its reference, the payload bucket
 * its bytes), both delivered byte-identical by SHA-256 at the backend once SQS is back.
 */
describe('scenario: large bodies by claim check', () => {
  const scenario = scenarioScaffold({ proxies: ['sqs'] });

  it('delivers a 4.5 MB body through the queue and a 1 MB body through failover, byte-identical', async () => {
    // Prepare
    const { backend, sqsProxy } = scenario;
    const env = await scenarioEnv({
      CATERING_SERVICE_EP: await backend.start(),
      AWS_ENDPOINT_URL_SQS: await sqsProxy.start('pass'),
    });
    const { runner, view } = await scenario.startWithView(env);
    const large = largeRegistration('large-queued', 4_500_000);
    const medium = largeRegistration('large-parked', 1_000_000);

    // Act
    const queued = await runner.post(large, { 'Idempotency-Key': 'large-queued' });
    await sqsProxy.setMode('refuse');
    const parked = await runner.post(medium, { 'Idempotency-Key': 'large-parked' });
    const parkedIds = await view.failoverIds();
    await sqsProxy.setMode('pass');
    await waitFor(
      () => backend.requests.length,
      (count) => count >= 2,
      30_000,
    );

    // Assess
    expect(queued.status).toBe(202);
    expect(parked).toMatchObject({ status: 202, body: { store: 'failover' } });
    expect(parkedIds).toEqual(['large-parked']);
    const received = new Map(
      backend.requests.map((request) => [
        String(request.headers['idempotency-key']),
        sha256Hex(Buffer.from(request.body, 'utf8')),
      ]),
    );
    expect(received).toEqual(
      new Map([
        ['large-queued', sha256Hex(JSON.stringify(large))],
        ['large-parked', sha256Hex(JSON.stringify(medium))],
      ]),
    );
    expect(await runner.stop()).toBe(0);
  });
});
