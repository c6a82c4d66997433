import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackBackend } from '../support/loopback-backend.js';
import {
  type RunnerProcess,
  scenarioEnv,
  showRunnerOutput,
  startRunnerProcess,
  waitFor,
} from './runner-process.js';

/** Routes in the file: the count the issue of scale asks `npm start` to hold on this machine. */
const ROUTES = 25;

/**
 * Many routes under `npm start`: 25 routes, each to a backend of its own, one message each. Every
 * message reaches its own route's backend exactly, and no other: the one ingest routes by path, each
 * forwarder derives its queue from its route's name.
 */
describe(`${ROUTES} routes under npm start`, () => {
  const backends = Array.from({ length: ROUTES }, () => new LoopbackBackend());
  let runner: RunnerProcess;
  let dir: string;
  let failed = false;

  beforeAll(async () => {
    // Prepare: a routes file of 25 routes, each to its own loopback backend
    const targets = await Promise.all(backends.map((backend) => backend.start()));
    dir = mkdtempSync(join(tmpdir(), 'gd-many-routes-'));
    const file = join(dir, 'routes.json');
    writeFileSync(
      file,
      JSON.stringify({
        routes: targets.map((target, index) => ({
          name: `route-${index}`,
          path: `/in/route-${index}`,
          target,
        })),
      }),
    );
    runner = await startRunnerProcess(await scenarioEnv({ DELIVERY_CONFIG: file }));
  }, 120_000);

  afterAll(async () => {
    if (runner) showRunnerOutput(runner, failed);
    await runner?.stop();
    await Promise.all(backends.map((backend) => backend.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers one message per route to that route’s backend, and to no other', async () => {
    try {
      // Act: one message to each route
      const ids: string[] = [];
      for (let index = 0; index < ROUTES; index++) {
        const answer = await runner.post({ route: index }, {}, `/in/route-${index}`);
        expect(answer.status).toBe(202);
        ids.push(String(answer.body.messageId));
      }
      await waitFor(
        () => backends.every((backend) => backend.requests.length > 0),
        (all) => all,
        60_000,
      );

      // Assess: each backend got exactly its route's message, with its route's body
      for (let index = 0; index < ROUTES; index++) {
        const requests = backends[index]?.requests ?? [];
        expect(requests.map((request) => request.headers['x-message-id'])).toEqual([ids[index]]);
        expect(JSON.parse(requests[0]?.body ?? '{}')).toEqual({ route: index });
      }
    } catch (error) {
      failed = true;
      throw error;
    }
  });
});
