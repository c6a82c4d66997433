import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import type { StackStatus } from '../../cli/commands/status.js';
import { memoryOutput } from '../../cli/output.js';
import { scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/**
 * The circuit breaker end to end through `npm start`, over HTTP only: a backend down for longer
 * than all of a message's attempts and backoff together. Without a breaker every message would be
 * dead-lettered; with it the route stops, only probes reach the backend while it is down, and once
 * it heals everything is delivered once and the breaker is closed.
 */

const ROUTE = 'orders';
const PATH = '/orders/in';
/** Opens after 3 failed attempts in a row; one probe every 2 s. */
const BREAKER = { failures: 3, probeSeconds: 2 };
/** 3 attempts, 1 s apart: a message's whole budget is spent in about 2 s without a breaker. */
const RETRY = { maxAttempts: 3, retry: { schedule: [1, 1] } };
const MESSAGES = 8;
/** How long the backend stays down once the breaker opened: five times a message's whole budget. */
const OUTAGE_MS = 10_000;

describe('scenario: a backend down for longer than all attempts, on a route with a circuit breaker', () => {
  const scenario = scenarioScaffold({ tempDir: 'gd-breaker-' });

  it('dead-letters nothing, lets only probes through while open, and delivers everything once healed', async () => {
    // Prepare: the backend is down (503), the route has a breaker
    const { backend, dir } = scenario;
    backend.fallback = { status: 503 };
    const file = join(dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: [{ name: ROUTE, path: PATH, target: await backend.start(), ...RETRY, breaker: BREAKER }],
      }),
    );
    const env = await scenarioEnv({ DELIVERY_CONFIG: file });
    const runner = await scenario.start(env);
    const status = async () => {
      const memory = memoryOutput();
      expect(await runCli(['status', '--json', '--route', ROUTE], { env, output: memory.output })).toBe(0);
      const [route] = memory.json<StackStatus>().routes;
      if (!route) throw new Error(`gd status has no route ${ROUTE}`);
      return route;
    };

    // Act: messages arrive while the backend is down
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const answer = await runner.post({ orderId: `o-${i}` }, {}, PATH);
      expect(answer.status).toBe(202);
      ids.push(String(answer.body.messageId));
    }
    const opened = await waitFor(status, (route) => route.breaker?.state !== 'closed', 20_000, 200);
    const openedAt = Date.parse(opened.breaker?.since ?? '');
    await sleep(OUTAGE_MS);
    const whileDown = await status();
    const healedAt = Date.now();
    backend.fallback = { status: 200 };
    await waitFor(
      () =>
        new Set(backend.idsReceived().filter((_, i) => (backend.requests[i]?.receivedAt ?? 0) >= healedAt))
          .size,
      (delivered) => delivered === MESSAGES,
      30_000,
      200,
    );
    // Closed first, then the switch turned back on (the queue tag removed): wait for both.
    const closed = await waitFor(
      status,
      (route) => route.breaker?.state === 'closed' && route.heldByBreaker === false,
      10_000,
      200,
    );
    await sleep(1_500); // time for a duplicate delivery to show up, if there were one

    // Assess: while open, the backend saw only probes (one per probe time, at most one at a time)
    const settle = 1_000; // attempts already under way when it opened finish
    const duringOutage = backend.requests.filter(
      (request) => request.receivedAt > openedAt + settle && request.receivedAt < healedAt,
    );
    const probeTimes = Math.ceil((healedAt - openedAt) / (BREAKER.probeSeconds * 1000));
    expect(Number.isFinite(openedAt)).toBe(true);
    expect(whileDown.breaker?.state).toMatch(/^(open|half-open)$/);
    expect(whileDown.dlqDepth).toBe(0);
    expect(duringOutage.length).toBeGreaterThanOrEqual(2);
    expect(duringOutage.length).toBeLessThanOrEqual(probeTimes + 1);
    for (let i = 1; i < duringOutage.length; i++) {
      const gap = (duringOutage[i]?.receivedAt ?? 0) - (duringOutage[i - 1]?.receivedAt ?? 0);
      expect(gap).toBeGreaterThan(BREAKER.probeSeconds * 1000 * 0.5);
    }
    // Healed: every message delivered once (each id answered 200 once), nothing dead-lettered
    const afterHeal = backend
      .idsReceived()
      .filter((_, i) => (backend.requests[i]?.receivedAt ?? 0) >= healedAt);
    expect([...afterHeal].sort()).toEqual([...ids].sort());
    expect(closed).toMatchObject({ breaker: { state: 'closed' }, heldByBreaker: false, dlqDepth: 0 });
    expect(closed.queueDepth + closed.inFlight).toBe(0);
    console.log(
      `breaker: attempts while open ${duringOutage.length} (probes), dead-lettered ${closed.dlqDepth}, ` +
        `delivered ${new Set(afterHeal).size} of ${ids.length}`,
    );
    expect(await runner.stop()).toBe(0);
  });
});
