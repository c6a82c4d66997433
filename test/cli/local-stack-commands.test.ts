import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { dlqListCommand, dlqShowCommand } from '../../cli/commands/dlq.js';
import { drainCommand } from '../../cli/commands/drain.js';
import { pauseCommand } from '../../cli/commands/pause.js';
import { redriveCommand } from '../../cli/commands/redrive.js';
import { memoryOutput } from '../../cli/output.js';
import { openLocalStack } from '../../cli/stack/local-stack.js';
import { PAUSE_TAG } from '../../local/local-stack-contract.js';
import { sha256Hex } from '../../shared/payloads.js';
import { queueNames } from '../../shared/resource-names.js';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

describe('gd against the local stack', () => {
  let fixture: CliFixture;

  beforeEach(async () => {
    // Prepare
    fixture = await createCliFixture();
  });

  it('shows the counts of every store, and a redrive moves the dead letters back with their ids', async () => {
    // Prepare
    await fixture.enqueue('waiting-1');
    await fixture.deadLetter('dead-1', { reason: 'backend answered 503', attempts: 4, lastStatus: 503 });
    await fixture.deadLetter('dead-2', { reason: 'backend answered 422', attempts: 1, lastStatus: 422 });
    await fixture.failover('parked-1');
    const before = await fixture.run(['status', '--json']);

    // Act
    const memory = memoryOutput({ interactive: true });
    const code = await redriveCommand(fixture.stack, { json: true, route: 'catering' }, memory.output);
    const after = await fixture.run(['status', '--json']);

    // Assess
    expect(before.code).toBe(0);
    expect(before.json()).toEqual({
      stack: `local stack '${fixture.prefix}' at ${fixture.env.AWS_ENDPOINT_URL}`,
      routes: [
        {
          route: 'catering',
          paused: false,
          queueDepth: 1,
          inFlight: 0,
          oldestAgeSeconds: null,
          ageMethod: 'not-measured',
          dlqDepth: 2,
          failoverBacklog: 1,
        },
      ],
      unroutableFailover: 0,
    });
    expect(code).toBe(0);
    expect(memory.json()).toEqual({
      routes: [
        { route: 'catering', method: 'receive-send-delete', moved: 2, failed: 0, refused: 0, skipped: 0 },
      ],
    });
    expect(memory.lines.progress.at(-1)).toBe('[##############################] 2/2 moved (catering)');
    expect(after.json()).toMatchObject({ routes: [{ queueDepth: 3, dlqDepth: 0, failoverBacklog: 1 }] });
    expect((await fixture.queuedIds()).sort()).toEqual(['dead-1', 'dead-2', 'waiting-1']);
  });

  it('keeps trying: redrives the DLQ, waits, and succeeds once it stays empty', async () => {
    // Prepare
    await fixture.deadLetter('dead-1', { reason: 'backend answered 503', attempts: 4, lastStatus: 503 });
    await fixture.deadLetter('dead-2', { reason: 'backend answered 503', attempts: 4, lastStatus: 503 });

    // Act
    const result = await fixture.run(['keep-trying', '--initial-wait', '1', '--max-rounds', '3', '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ route: 'catering', status: 'SUCCEEDED', rounds: 1 });
    expect((await fixture.queuedIds()).sort()).toEqual(['dead-1', 'dead-2']);
  });

  it('measures the age of the oldest message from a peek only when asked', async () => {
    // Prepare
    await fixture.enqueue('waiting-1');

    // Act
    const result = await fixture.run(['status', '--peek', '--json']);

    // Assess
    expect(result.json()).toMatchObject({
      routes: [{ queueDepth: 1, ageMethod: 'peek', oldestAgeSeconds: expect.any(Number) }],
    });
  });

  it('prints a readable table by default', async () => {
    // Prepare
    await fixture.deadLetter('dead-1', { reason: 'backend answered 503', attempts: 4, lastStatus: 503 });

    // Act
    const result = await fixture.run(['status']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.out.split('\n').slice(1, 3)).toEqual([
      'ROUTE     DELIVERIES  QUEUE  IN FLIGHT  OLDEST  DLQ  FAILOVER',
      'catering  running         0          0       -    1         0',
    ]);
  });

  it('lists dead letters with id, attempts and reason, and shows one in full, without consuming them', async () => {
    // Prepare
    await fixture.deadLetter('dead-1', { reason: 'backend answered 503', attempts: 4, lastStatus: 503 });
    await fixture.deadLetter('dead-2', { reason: 'gave up after 4 attempts; last: timeout', attempts: 4 });
    const list = memoryOutput();
    const show = memoryOutput();

    // Act
    await dlqListCommand(fixture.stack, { json: true, limit: 20 }, list.output);
    await dlqShowCommand(fixture.stack, { json: true, id: 'dead-1' }, show.output);

    // Assess
    const letters = list.json<{ id: string }[]>().sort((a, b) => a.id.localeCompare(b.id));
    expect(letters).toEqual([
      expect.objectContaining({
        route: 'catering',
        id: 'dead-1',
        attempts: 4,
        lastStatus: 503,
        reason: 'backend answered 503',
        deadLetteredAt: expect.any(String),
      }),
      expect.objectContaining({
        id: 'dead-2',
        attempts: 4,
        reason: 'gave up after 4 attempts; last: timeout',
      }),
    ]);
    expect(letters[1]).not.toHaveProperty('lastStatus');
    expect(show.json()).toMatchObject({
      id: 'dead-1',
      reason: 'backend answered 503',
      attempts: 4,
      body: JSON.stringify({ passengerId: 'dead-1', train: 'RLC-5051' }),
      // The list peeked it once, the show once more: SQS counts every receive.
      receiveCount: 2,
    });
    expect(await fixture.status()).toMatchObject({ dlqDepth: 2 });
  });

  it("shows a dead letter's large body from the payload bucket, and saves its exact bytes", async () => {
    // Prepare
    const body = JSON.stringify({ text: 'x'.repeat(400_000) });
    const reference = await fixture.largeDeadLetter('large-1', body, {
      reason: 'backend answered 422',
      attempts: 1,
    });
    const file = join(await mkdtemp(join(tmpdir(), 'gd-dlq-')), 'body.json');

    // Act
    const shown = await fixture.run(['dlq', 'show', 'large-1']);
    const saved = await fixture.run(['dlq', 'show', 'large-1', '--save', file]);

    // Assess
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`body bytes:     ${body.length}`);
    expect(shown.out).toContain(`payload:        ${reference.key}`);
    expect(shown.out).toContain('x'.repeat(1000));
    expect(saved.code).toBe(0);
    expect(saved.out).toContain(`body:           saved to ${file}`);
    expect(sha256Hex(await readFile(file))).toBe(reference.sha256);
    await rm(dirname(file), { recursive: true });
  });

  it('lists an id with two copies in the DLQ once, saying how many copies it has', async () => {
    // Prepare: two dead letters of one id (two copies dead-lettered before either was recorded)
    await fixture.deadLetter('dead-1', { reason: 'backend answered 422', attempts: 1, lastStatus: 422 });
    await fixture.deadLetter('dead-1', { reason: 'backend answered 422', attempts: 1, lastStatus: 422 });
    const list = memoryOutput();

    // Act
    await dlqListCommand(fixture.stack, { json: true, limit: 20 }, list.output);

    // Assess
    expect(list.json()).toEqual([expect.objectContaining({ id: 'dead-1', copies: 2 })]);
  });

  it('fails to show an id that is not in the DLQ, with exit code 1', async () => {
    // Act
    const result = await fixture.run(['dlq', 'show', 'no-such-id']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toBe('gd: no dead letter with id no-such-id in the DLQ of catering');
  });

  it('pauses and resumes a route with the gd:paused queue tag', async () => {
    // Prepare
    const tags = async () =>
      (await fixture.sqs.send(new ListQueueTagsCommand({ QueueUrl: fixture.queues.queueUrl }))).Tags ?? {};
    const pause = memoryOutput();

    // Act
    await pauseCommand(fixture.stack, { json: true, route: 'catering', paused: true }, pause.output);
    const whilePaused = { tags: await tags(), status: await fixture.status() };
    const resumed = await fixture.run(['resume', '--route', 'catering', '--json']);

    // Assess
    expect(pause.json()).toEqual({ route: 'catering', paused: true, switch: 'queue-tag' });
    expect(whilePaused.tags).toEqual({ [PAUSE_TAG]: 'true' });
    expect(whilePaused.status.paused).toBe(true);
    expect(resumed.json()).toEqual({ route: 'catering', paused: false, switch: 'queue-tag' });
    expect(await tags()).toEqual({});
    expect((await fixture.status()).paused).toBe(false);
  });

  it('drains the failover table into the delivery queue', async () => {
    // Prepare
    await fixture.failover('parked-1');
    await fixture.failover('parked-2');
    const memory = memoryOutput();

    // Act
    const code = await drainCommand(fixture.stack, { json: true }, memory.output);

    // Assess
    expect(code).toBe(0);
    expect(memory.json()).toEqual({ moved: 2, failed: 0, refused: 0, unroutable: 0 });
    expect(await fixture.status()).toMatchObject({ queueDepth: 2, failoverBacklog: 0 });
    expect((await fixture.queuedIds()).sort()).toEqual(['parked-1', 'parked-2']);
  });

  it('rejects an unknown route with exit code 2 and the routes there are', async () => {
    // Act
    const results = await Promise.all([
      fixture.run(['status', '--route', 'nope']),
      fixture.run(['pause', '--route', 'nope']),
      fixture.run(['redrive', '--route', 'nope']),
    ]);

    // Assess
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.err).toBe("gd: unknown route 'nope'; this stack has: catering");
    }
  });

  it('rejects bad command lines with exit code 2', async () => {
    // Act
    const results = await Promise.all([
      fixture.run(['frobnicate']),
      fixture.run(['dlq']),
      fixture.run(['status', '--rate', '3']),
      fixture.run(['redrive', '--rate', 'fast']),
      fixture.run(['pause']),
      fixture.run(['status', '--local', '--stack', 'Other']),
      fixture.run(['send', '--body', '{not json']),
    ]);

    // Assess
    expect(results.map((result) => result.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(results.map((result) => result.err)).toEqual([
      "gd: unknown command 'frobnicate'; see gd --help",
      'gd: dlq needs a subcommand: list or show; see gd --help',
      "gd: Unknown option '--rate'; see gd status --help",
      "gd: --rate must be a whole number from 1 to 500, got 'fast'",
      'gd: pause needs --route NAME (one of: catering)',
      'gd: --local and --stack exclude each other',
      expect.stringMatching(/^gd: --body is not valid JSON: /),
    ]);
  });

  it('fails with advice when the local stack is not there', async () => {
    // Act
    const opening = openLocalStack({ ...fixture.env, LOCAL_PREFIX: `${fixture.prefix}-missing` });

    // Assess
    await expect(opening).rejects.toThrow(
      `the local stack '${fixture.prefix}-missing' has no queue ${queueNames(`${fixture.prefix}-missing`, { name: 'catering' }).deliveryQueue}`,
    );
  });

  describe('send', () => {
    let server: Server;
    let received: { url?: string; headers: IncomingHttpHeaders; body: string }[];

    beforeEach(async () => {
      // Prepare: a stand-in for the local API that answers like the ingest does.
      received = [];
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on('end', () => {
          received.push({ url: request.url, headers: request.headers, body });
          response.writeHead(202, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ messageId: request.headers['idempotency-key'], store: 'queue' }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    });

    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('posts the body to the route path with the idempotency key and prints the answer', async () => {
      // Prepare
      const port = (server.address() as AddressInfo).port;
      const memory = memoryOutput();

      // Act
      const code = await runCli(
        [
          'send',
          '--body',
          '{"passengerId":"p-1","train":"RLC-5051"}',
          '--idempotency-key',
          'key-1',
          '--json',
        ],
        { env: { ...fixture.env, PORT: String(port) }, output: memory.output },
      );

      // Assess
      expect(code).toBe(0);
      expect(received).toEqual([
        {
          url: '/catering/register',
          headers: expect.objectContaining({
            'content-type': 'application/json',
            'idempotency-key': 'key-1',
          }),
          body: '{"passengerId":"p-1","train":"RLC-5051"}',
        },
      ]);
      expect(memory.json()).toEqual({
        route: 'catering',
        url: `http://localhost:${port}/catering/register`,
        status: 202,
        body: { messageId: 'key-1', store: 'queue' },
      });
    });
  });
});
