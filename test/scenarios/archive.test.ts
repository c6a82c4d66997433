import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { memoryOutput } from '../../cli/output.js';
import { CATERING_PAYLOAD, scenarioEnv, waitFor } from './runner-process.js';
import { scenarioScaffold } from './scenario-scaffold.js';

/**
 * Nothing expires silently, end to end through `npm start`: a paused route holds messages past the
 * (shortened) retention bound; the archiver moves them to the emulator's S3 before SQS would
 * delete them; `gd redrive --from-archive` brings them back and they are delivered with their ids.
 */
describe('scenario: a paused route whose messages near retention', () => {
  const scenario = scenarioScaffold();

  it('archives them, and a redrive from the archive delivers each once with the same id', async () => {
    // Prepare: retention 60 s (SQS's least), archived 54 s before it, i.e. after 6 s; a run every 2 s
    const { backend } = scenario;
    const env = await scenarioEnv({
      CATERING_SERVICE_EP: await backend.start(),
      QUEUE_RETENTION_SECONDS: '60',
      ARCHIVE_MARGIN_SECONDS: '54',
      ARCHIVE_INTERVAL_SECONDS: '2',
    });
    const { runner, view } = await scenario.startWithView(env);
    const gd = async (...argv: string[]) => {
      const memory = memoryOutput();
      const code = await runCli(argv, { env, output: memory.output });
      return { code, out: memory.stdout(), json: memory.json };
    };
    expect((await gd('pause', '--route', 'catering')).code).toBe(0);
    await sleep(1_500); // the local event source mapping reads the pause tag once a second

    // Act: three messages accepted while the route is paused, then left alone
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await runner.post({ ...CATERING_PAYLOAD, passengerId: `P-${i}` });
      expect(answer.status).toBe(202);
      ids.push(String(answer.body.messageId));
    }
    const archived = await waitFor(
      async () => (await gd('archive', 'list', '--json')).json<{ id: string }[]>().map((entry) => entry.id),
      (list) => list.length === 3,
      30_000,
      500,
    );

    // Assess: archived (not dead-lettered, not lost), off the queue, never attempted
    expect(archived.sort()).toEqual([...ids].sort());
    expect(await view.count(view.queueUrl)).toBe(0);
    expect(await view.count(view.dlqUrl)).toBe(0);
    expect(backend.requests).toHaveLength(0);

    // Act: resume and bring them back
    expect((await gd('resume', '--route', 'catering')).code).toBe(0);
    const redrive = await gd('redrive', '--from-archive', '--route', 'catering', '--json');
    await waitFor(
      () => backend.idsReceived(),
      (delivered) => delivered.length >= 3,
      20_000,
    );
    await sleep(2_000); // time for a duplicate delivery to show up, if there were one

    // Assess: each delivered exactly once under its own id, nothing left anywhere
    expect(redrive.code).toBe(0);
    expect(redrive.json()).toMatchObject({ routes: [{ route: 'catering', moved: 3, failed: 0 }] });
    const delivered = backend.idsReceived();
    expect([...delivered].sort()).toEqual([...ids].sort());
    for (const request of backend.requests) {
      const i = ids.indexOf(String(request.headers['idempotency-key']));
      expect(JSON.parse(request.body)).toEqual({ ...CATERING_PAYLOAD, passengerId: `P-${i}` });
    }
    expect((await gd('archive', 'list', '--json')).json()).toEqual([]);
    expect(await view.count(view.queueUrl)).toBe(0);
    expect(await view.count(view.dlqUrl)).toBe(0);
    console.log(
      `archive: accepted ${ids.length} while paused, archived ${archived.length}, ` +
        `redriven ${ids.length}, delivered ${new Set(delivered).size} of ${ids.length} (duplicates ${delivered.length - new Set(delivered).size})`,
    );
    expect(await runner.stop()).toBe(0);
  });
});
