import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { batchPath } from '../../shared/config/batch-ingest.js';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/** A batch of 100 catering registrations through `npm start`'s runner: every one delivered, once. */
describe('scenario: a batch of 100 registrations', () => {
  const scenario = scenarioScaffold();

  it('accepts all 100 with one request and delivers each exactly once under its messageId', async () => {
    // Prepare
    const { backend } = scenario;
    const env = await scenarioEnv({ CATERING_SERVICE_EP: await backend.start() });
    const { runner, view } = await scenario.startWithView(env);
    const messages = Array.from({ length: 100 }, (_, n) => ({
      body: { ...CATERING_PAYLOAD, passengerId: `p-${n}` },
    }));

    // Act
    const answer = await runner.post({ messages }, {}, batchPath(DEFAULT_ROUTE.path));
    const results = answer.body.results as { messageId: string; store: string }[];
    const ids = results.map((result) => result.messageId);
    await waitFor(
      () => new Set(backend.idsReceived()).size,
      (count) => count >= 100,
      60_000,
    );
    await sleep(2_000); // long enough for a duplicate delivery to show up, if there were one

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 100, rejected: 0 });
    expect(results.every((result) => result.store === 'queue')).toBe(true);
    expect(new Set(ids).size).toBe(100);
    expect(backend.idsReceived().sort()).toEqual([...ids].sort());
    const byId = new Map(backend.requests.map((r) => [String(r.headers['idempotency-key']), r.body]));
    messages.forEach((message, n) => {
      expect(byId.get(ids[n] ?? '')).toBe(JSON.stringify(message.body));
    });
    expect(await view.count(view.queueUrl)).toBe(0);
    expect(await view.count(view.dlqUrl)).toBe(0);
    console.log(`batch: accepted ${ids.length}, delivered ${backend.requests.length}, distinct ${byId.size}`);
    expect(await runner.stop()).toBe(0);
  });
});
