import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { CATERING_PAYLOAD, type RunnerProcess, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/** `GET <route path>/{messageId}` over HTTP against `npm start`'s runner. */
async function getStatus(runner: RunnerProcess, id: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${runner.apiUrl}${DEFAULT_ROUTE.path}/${encodeURIComponent(id)}`, {
    headers,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('scenario: where is my message (GET <route path>/{messageId})', () => {
  const scenario = scenarioScaffold();

  it('finds a message at once after its 202, shows its attempts once delivered, and 404s an unknown id', async () => {
    // Prepare: the backend fails twice, then takes the message
    const { backend } = scenario;
    backend.answerNext({ status: 503, body: '{"error":"maintenance"}' }, { status: 500 });
    const env = await scenarioEnv({
      CATERING_SERVICE_EP: await backend.start(),
      RETRY_BASE_SECONDS: '1',
      RETRY_MAX_SECONDS: '1',
    });
    const runner = await scenario.start(env);

    // Act
    const accepted = await runner.post(CATERING_PAYLOAD, { 'idempotency-key': 'status-1' });
    const atOnce = await getStatus(runner, 'status-1');
    const delivered = await waitFor(
      () => getStatus(runner as RunnerProcess, 'status-1'),
      (answer) => answer.body.state === 'delivered',
      30_000,
    );
    const unknown = await getStatus(runner, 'never-sent');

    // Assess
    expect(accepted.status).toBe(202);
    expect(atOnce.status).toBe(200);
    expect(atOnce.body).toMatchObject({ messageId: 'status-1', route: 'catering', store: 'queue' });
    expect(['queued', 'retrying', 'delivered']).toContain(atOnce.body.state);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ state: 'delivered', deliveredAt: expect.any(String) });
    expect(
      (delivered.body.attempts as { attempt: number; status: number }[]).map((a) => [a.attempt, a.status]),
    ).toEqual([
      [1, 503],
      [2, 500],
      [3, 200],
    ]);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      error: "no message 'never-sent' was accepted on route 'catering'",
      messageId: 'never-sent',
    });
  });

  it('requires the API key for the lookup where one is configured', async () => {
    // Prepare
    const { backend } = scenario;
    const env = await scenarioEnv({ CATERING_SERVICE_EP: await backend.start(), LOCAL_API_KEY: 'k-123' });
    const runner = await scenario.start(env);
    const accepted = await runner.post(CATERING_PAYLOAD, { 'x-api-key': 'k-123' });
    const id = String(accepted.body.messageId);

    // Act
    const without = await getStatus(runner, id);
    const wrong = await getStatus(runner, id, { 'x-api-key': 'nope' });
    const withKey = await getStatus(runner, id, { 'x-api-key': 'k-123' });

    // Assess
    expect(accepted.status).toBe(202);
    expect(without.status).toBe(403);
    expect(wrong.status).toBe(403);
    expect(withKey.status).toBe(200);
    expect(withKey.body.messageId).toBe(id);
  });
});
