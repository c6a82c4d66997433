import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pauseCommand } from '../../cli/commands/pause.js';
import { collectStatus } from '../../cli/commands/status.js';
import { memoryOutput } from '../../cli/output.js';
import type { StackTarget } from '../../cli/stack/stack-target.js';
import { backendPerTest } from '../support/loopback-backend.js';
import { createTestRoute, type TestRoute } from '../support/test-route.js';
import { mockEventSourceMappings, openEmulatedDeployedStack } from './emulated-deployed-stack.js';

/**
 * The switch an AWS route's operator and its circuit breaker share, end to end: the real forwarder
 * and probe (on the emulator's SQS and DynamoDB, a real backend on loopback) turn one event source
 * mapping off and on, and `gd` for a deployed stack reads and turns the same mapping (Lambda mocked
 * as that one mapping: moto cannot run event source mappings).
 */
describe('gd and the circuit breaker share one switch on AWS', () => {
  const BREAKER = { failures: 3, probeSeconds: 1 };
  const server = backendPerTest();
  let mappings: ReturnType<typeof mockEventSourceMappings>;
  let cloudFormation: Awaited<ReturnType<typeof openEmulatedDeployedStack>>['cloudFormation'];
  let route: TestRoute;
  let stack: StackTarget;
  /** Whether the route's one event source mapping is enabled. */
  const enabled = () => mappings.isEnabled(route.route.name);

  beforeEach(async () => {
    // Prepare: the forwarder's switch and gd's Lambda calls both turn the route's mapping.
    mappings = mockEventSourceMappings();
    const name = 'catering';
    route = await createTestRoute({
      target: server.target,
      route: { name, breaker: BREAKER, maxAttempts: 3, retry: { schedule: [1, 1] } },
      deliveries: mappings.switchOf(name),
    });
    ({ stack, cloudFormation } = await openEmulatedDeployedStack(route.tables, [
      { name, ...route.queues, breaker: BREAKER },
    ]));

    // The backend goes down: three messages, three failed attempts, and the breaker opens.
    server.current.fallback = { status: 503 };
    for (const passengerId of ['p-1', 'p-2', 'p-3']) {
      expect((await route.post({ passengerId })).statusCode).toBe(202);
    }
    // A receive may return fewer than the three (SQS's short polling samples): poll until it opens.
    for (let poll = 0; poll < 20 && (await route.breaker()).state !== 'open'; poll++) {
      await route.forwardOnce();
      await sleep(100);
    }
    expect((await route.breaker()).state).toBe('open');
    expect(enabled()).toBe(false);
  });

  afterEach(() => {
    cloudFormation.restore();
    mappings.lambda.restore();
  });

  const gd = async (paused: boolean) => {
    const memory = memoryOutput();
    await pauseCommand(stack, { json: false, route: route.route.name, paused }, memory.output);
    return memory.lines.out.join('\n');
  };
  const status = async () => (await collectStatus(stack, { json: true, peek: false })).routes[0];

  /** The backend is back and the probe time has come: one probe tick. */
  const probeAfterRecovery = async () => {
    server.current.fallback = { status: 200 };
    await sleep(BREAKER.probeSeconds * 1000 + 100);
    return route.probe();
  };

  it('keeps a paused route stopped when the probe closes the breaker, until gd resume', async () => {
    // Act
    const held = await status();
    await gd(true);
    const probe = await probeAfterRecovery();
    const afterProbe = { enabled: enabled(), status: await status() };
    const resumed = await gd(false);

    // Assess
    expect(held).toMatchObject({ paused: false, heldByBreaker: true, breaker: { state: 'open' } });
    expect(probe).toMatchObject({ state: 'closed', attempts: 1 });
    expect(afterProbe.enabled).toBe(false);
    expect(afterProbe.status).toMatchObject({
      paused: true,
      heldByBreaker: false,
      breaker: { state: 'closed' },
    });
    expect(resumed).toBe(`${route.route.name}: deliveries resumed (event-source-mapping)`);
    expect(enabled()).toBe(true);
    expect(await route.breaker()).toMatchObject({ state: 'closed', manualPause: false });
  });

  it('leaves the restart of a route resumed while open to the probe, which restarts it', async () => {
    // Act
    await gd(true);
    const resumed = await gd(false);
    const afterResume = enabled();
    const probe = await probeAfterRecovery();

    // Assess
    expect(resumed).toContain("deliveries resume when the breaker's next probe succeeds");
    expect(afterResume).toBe(false);
    expect(probe).toMatchObject({ state: 'closed', attempts: 1 });
    expect(enabled()).toBe(true);
    expect(await status()).toMatchObject({
      paused: false,
      heldByBreaker: false,
      breaker: { state: 'closed' },
    });
  });
});
