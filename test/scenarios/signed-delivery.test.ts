import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SigningReport, signingRotateCommand, signingShowCommand } from '../../cli/commands/signing.js';
import { memoryOutput } from '../../cli/output.js';
import { openLocalStack } from '../../cli/stack/local-stack.js';
import { findRoute, type StackTarget } from '../../cli/stack/stack-target.js';
import { generateSecret, signPayload } from '../../shared/signing/webhook-signature.js';
import { parseTraceparent } from '../../shared/trace-context.js';
import { LoopbackBackend, type ReceivedRequest } from '../support/loopback-backend.js';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.js';
import {
  CATERING_PAYLOAD,
  emulatorView,
  type RunnerProcess,
  scenarioEnv,
  showRunnerOutput,
  startRunnerProcess,
  waitFor,
} from './runner-process.js';

const CLIENT_TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const CLIENT_TRACESTATE = 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7';

/** Node's headers as the verifier takes them (one string per name). */
function flat(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, [value].flat().join(', ')]),
  );
}

/** What the reference verifier says of a request with this secret: the error's message, or 'ok'. */
function verdict(secret: string, request: Pick<ReceivedRequest, 'body' | 'headers'>): string {
  try {
    new Webhook(secret).verify(request.body, flat(request.headers));
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Standard Webhooks signatures end to end through `SIGNING_SECRET=whsec_... npm start`: a receiver
 * on loopback verifies every request with the `standardwebhooks` package (401 when it fails), through
 * a retry after a DLQ redrive, a failover and drain, and a secret rotation with its grace.
 */
describe('scenario: signed deliveries verified by a Standard Webhooks receiver', () => {
  const firstSecret = generateSecret();
  /** The secrets the receiver accepts; a rotation adds the new one, as its operator would. */
  const receiverSecrets = [firstSecret];
  const refused: string[] = [];
  let backend: LoopbackBackend;
  let backendUrl: string;
  let sqsProxy: TcpFaultProxy;
  let runner: RunnerProcess;
  let view: Awaited<ReturnType<typeof emulatorView>>;
  let gd: StackTarget;
  let failed = false;

  /** Requests that carried this message id, in arrival order. */
  const deliveriesOf = (id: unknown) => backend.requests.filter((r) => r.headers['webhook-id'] === id);
  const delivered = (id: unknown, count = 1) =>
    waitFor(
      () => deliveriesOf(id),
      (requests) => requests.length >= count,
      20_000,
    );

  beforeAll(async () => {
    backend = new LoopbackBackend();
    backend.check = (request) => {
      const ok = receiverSecrets.some((secret) => verdict(secret, request) === 'ok');
      if (ok) return undefined;
      refused.push(String(request.headers['webhook-id']));
      return { status: 401 };
    };
    sqsProxy = TcpFaultProxy.forUrl(inject('awsEndpoint'));
    backendUrl = await backend.start();
    const env = await scenarioEnv({
      CATERING_SERVICE_EP: backendUrl,
      AWS_ENDPOINT_URL_SQS: await sqsProxy.start('pass'),
      SIGNING_SECRET: firstSecret,
      // A rotation reaches the forwarder within a second here (30 s by default).
      POWERTOOLS_PARAMETERS_MAX_AGE: '1',
    });
    runner = await startRunnerProcess(env);
    view = await emulatorView(env.LOCAL_PREFIX as string);
    const { AWS_ENDPOINT_URL_SQS: _proxied, ...direct } = env;
    gd = await openLocalStack(direct);
  });

  afterAll(async () => {
    if (runner) showRunnerOutput(runner, failed);
    runner?.kill();
    view?.close();
    await sqsProxy?.stop();
    await backend?.stop();
  });

  const track = async (test: () => Promise<void>) => {
    try {
      await test();
    } catch (error) {
      failed = true;
      throw error;
    }
  };

  it("signs the reference delivery so the receiver verifies it, with the client's trace", () =>
    track(async () => {
      // Act
      const answer = await runner.post(CATERING_PAYLOAD, {
        traceparent: CLIENT_TRACEPARENT,
        tracestate: CLIENT_TRACESTATE,
      });
      const [request] = await delivered(answer.body.messageId);

      // Assess
      expect(answer.status).toBe(202);
      expect(request).toBeDefined();
      const headers = flat(request?.headers ?? {});
      expect(verdict(firstSecret, request as ReceivedRequest)).toBe('ok');
      expect(headers['webhook-id']).toBe(answer.body.messageId);
      expect(headers['idempotency-key']).toBe(answer.body.messageId);
      expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      expect(parseTraceparent(headers.traceparent)?.traceId).toBe(CLIENT_TRACEPARENT.slice(3, 35));
      expect(headers.traceparent).not.toBe(CLIENT_TRACEPARENT);
      expect(headers.tracestate).toBe(CLIENT_TRACESTATE);
      expect(refused).toEqual([]);
    }));

  it('signs every attempt afresh, through a dead letter and its redrive, in one trace', () =>
    track(async () => {
      // Prepare: three 503s use up MAX_ATTEMPTS=3, so the message is dead-lettered.
      backend.answerNext({ status: 503 }, { status: 503 }, { status: 503 });
      const answer = await runner.post({ ...CATERING_PAYLOAD, passengerId: 'redriven-1' });
      await delivered(answer.body.messageId, 3);
      await waitFor(
        () => view.count(view.dlqUrl),
        (n) => n === 1,
        20_000,
      );

      // Act: the backend recovered; the operator redrives, as `gd redrive` does locally.
      const redrive = await gd.redrive(findRoute(gd, 'catering'), {});
      const attempts = await delivered(answer.body.messageId, 4);

      // Assess
      expect(redrive.moved).toBe(1);
      expect(attempts.map((r) => verdict(firstSecret, r))).toEqual(['ok', 'ok', 'ok', 'ok']);
      const headers = attempts.map((r) => flat(r.headers));
      expect(headers.map((h) => h['x-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
      const stamps = headers.map((h) => Number(h['webhook-timestamp']));
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
      expect((stamps.at(-1) ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(1);
      const traces = headers.map((h) => parseTraceparent(h.traceparent));
      expect(new Set(traces.map((t) => t?.traceId)).size).toBe(1);
      expect(new Set(traces.map((t) => t?.parentId)).size).toBe(4);
    }));

  it('signs a message that went through the failover table and the drainer', () =>
    track(async () => {
      // Prepare
      await sqsProxy.setMode('refuse');

      // Act
      const answer = await runner.post(
        { ...CATERING_PAYLOAD, passengerId: 'failover-1' },
        {
          traceparent: CLIENT_TRACEPARENT,
        },
      );
      await sqsProxy.setMode('pass');
      const [request] = await delivered(answer.body.messageId);

      // Assess
      expect(answer.body.store).toBe('failover');
      expect(verdict(firstSecret, request as ReceivedRequest)).toBe('ok');
      expect(parseTraceparent(flat(request?.headers ?? {}).traceparent)?.traceId).toBe(
        CLIENT_TRACEPARENT.slice(3, 35),
      );
    }));

  it('refuses a tampered body and a stale timestamp at the receiver (the check can fail)', () =>
    track(async () => {
      // Prepare: a delivery the receiver accepted, replayed to it with one thing changed.
      const original = backend.requests.find((r) => verdict(firstSecret, r) === 'ok');
      if (!original) throw new Error('no verified delivery to replay');
      // What a sender sets; the transport headers (content-length, host) are fetch's to write.
      const headers = Object.fromEntries(
        Object.entries(flat(original.headers)).filter(([name]) => /^(webhook-|content-type$)/.test(name)),
      );
      const refusedBefore = refused.length;
      const stale = Math.floor(Date.now() / 1000) - 10 * 60;
      const replay = (body: string, changed: Record<string, string> = {}) =>
        fetch(backendUrl, { method: 'POST', body, headers: { ...headers, ...changed } });

      // Act
      const tampered = await replay(original.body.replace('first', 'economy'));
      const old = await replay(original.body, {
        'webhook-timestamp': String(stale),
        'webhook-signature': signPayload(firstSecret, headers['webhook-id'] ?? '', stale, original.body),
      });
      const untouched = await replay(original.body);

      // Assess
      expect(tampered.status).toBe(401);
      expect(old.status).toBe(401);
      expect(untouched.status).toBe(200);
      expect(refused.slice(refusedBefore)).toEqual([headers['webhook-id'], headers['webhook-id']]);
      refused.splice(refusedBefore);
      expect(verdict(firstSecret, { ...original, body: original.body.replace('first', 'economy') })).toMatch(
        /No matching signature/,
      );
      expect(
        verdict(firstSecret, {
          body: original.body,
          headers: { ...original.headers, 'webhook-timestamp': String(stale) },
        }),
      ).toMatch(/too old/);
    }));

  it('signs with both secrets during a rotation grace, and with the new one alone after it', () =>
    track(async () => {
      // Act: rotate as `gd signing rotate --route catering --grace 6s` does; the receiver takes both.
      const rotation = memoryOutput();
      await signingRotateCommand(gd, { json: true, route: 'catering', graceSeconds: 6 }, rotation.output);
      const rotated = rotation.json<SigningReport>();
      const newSecret = rotated.current;
      receiverSecrets.push(newSecret);
      const shown = memoryOutput();
      await signingShowCommand(gd, { json: true, route: 'catering' }, shown.output);
      await sleep(1_500); // the forwarder's cache (POWERTOOLS_PARAMETERS_MAX_AGE=1)
      const during = await runner.post({ ...CATERING_PAYLOAD, passengerId: 'rotation-grace' });
      const [inGrace] = await delivered(during.body.messageId);
      await waitFor(
        () => Date.now(),
        (now) => now > Date.parse(rotated.previous[0]?.expiresAt ?? '') + 1_500,
        10_000,
      );
      const after = await runner.post({ ...CATERING_PAYLOAD, passengerId: 'rotation-after' });
      const [afterGrace] = await delivered(after.body.messageId);

      // Assess
      expect(newSecret).not.toBe(firstSecret);
      expect(rotated.previous.map((p) => p.secret)).toEqual([firstSecret]);
      expect(shown.json<SigningReport>()).toEqual({ ...rotated, graceSeconds: undefined });
      expect(flat(inGrace?.headers ?? {})['webhook-signature']?.split(' ')).toHaveLength(2);
      expect(verdict(firstSecret, inGrace as ReceivedRequest)).toBe('ok');
      expect(verdict(newSecret, inGrace as ReceivedRequest)).toBe('ok');
      expect(flat(afterGrace?.headers ?? {})['webhook-signature']?.split(' ')).toHaveLength(1);
      expect(verdict(newSecret, afterGrace as ReceivedRequest)).toBe('ok');
      expect(verdict(firstSecret, afterGrace as ReceivedRequest)).toMatch(/No matching signature/);
    }));

  it('never prints a signing secret in the runner output', () =>
    track(async () => {
      // Act
      const output = runner.output();

      // Assess: secrets minus their public prefix, so the check cannot pass on a formatting change.
      expect(output).toMatch(/signing +catering: deliveries signed/);
      for (const secret of receiverSecrets) expect(output).not.toContain(secret.slice('whsec_'.length));
      expect(refused).toEqual([]);
    }));
});
