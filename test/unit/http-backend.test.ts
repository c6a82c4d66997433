import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchBackend, parseRetryAfter } from '../../functions/forwarder/http-backend.js';
import { refusingEndpoint } from '../support/dead-endpoints.js';
import { LoopbackBackend } from '../support/loopback-backend.js';

describe('parseRetryAfter', () => {
  const now = new Date('2025-01-02T03:04:05.000Z');

  it('reads delay-seconds, ignoring surrounding spaces', () => {
    // Act
    const values = ['0', '120', ' 7 '].map((value) => parseRetryAfter(value, now));

    // Assess
    expect(values).toEqual([0, 120, 7]);
  });

  it('reads an HTTP date as the whole seconds from now until then', () => {
    // Act
    const inTwoMinutes = parseRetryAfter('Thu, 02 Jan 2025 03:06:05 GMT', now);
    const partSecond = parseRetryAfter(new Date(now.getTime() + 1_500).toUTCString(), now);

    // Assess
    expect(inTwoMinutes).toBe(120);
    // toUTCString drops the milliseconds: 03:04:06 is one second ahead.
    expect(partSecond).toBe(1);
  });

  it('reads an HTTP date in the past as no wait', () => {
    // Act
    const value = parseRetryAfter('Wed, 01 Jan 2025 00:00:00 GMT', now);

    // Assess
    expect(value).toBe(0);
  });

  it('ignores a missing, empty or meaningless value', () => {
    // Act
    const values = [null, '', 'soon', 'garbage', '12abc', '1e3', '-5', '1.5', 'Foo 2099', '2099-01-01'].map(
      (value) => parseRetryAfter(value, now),
    );

    // Assess
    expect(values).toEqual(Array(10).fill(undefined));
  });
});

describe('FetchBackend', () => {
  let server: LoopbackBackend;
  let url: string;
  const backend = new FetchBackend();

  beforeEach(async () => {
    server = new LoopbackBackend();
    url = await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('POSTs the body and headers and passes the status through', async () => {
    // Prepare
    server.answerNext({ status: 201 });

    // Act
    const response = await backend.post({
      url,
      body: '{"passengerId":"241241d"}',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', 'x-delivery-attempt': '2' },
      timeoutMs: 2_000,
    });

    // Assess
    expect(response).toEqual({ kind: 'answered', status: 201, body: '{"success":true}' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/catering',
      body: '{"passengerId":"241241d"}',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1', 'x-delivery-attempt': '2' },
    });
  });

  it('passes an error status through with its Retry-After', async () => {
    // Prepare
    server.answerNext({ status: 503, headers: { 'retry-after': '7' } });

    // Act
    const response = await backend.post({ url, body: '{}', headers: {}, timeoutMs: 2_000 });

    // Assess
    expect(response).toEqual({
      kind: 'answered',
      status: 503,
      retryAfterSeconds: 7,
      body: '{"success":false}',
    });
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    // Prepare
    server.answerNext({ status: 302, headers: { location: `${url}/elsewhere` } });

    // Act
    const response = await backend.post({ url, body: '{}', headers: {}, timeoutMs: 2_000 });

    // Assess
    expect(response).toEqual({ kind: 'answered', status: 302, body: '{"success":false}' });
    expect(server.requests.map((request) => request.path)).toEqual(['/catering']);
  });

  it('keeps the first 1 KB of the answer body and no more', async () => {
    // Prepare: 3,000 bytes of multi-byte characters, so the cut falls inside one
    server.answerNext({ status: 500, body: 'é'.repeat(1500) });

    // Act
    const response = await new FetchBackend().post({ url, body: '{}', headers: {}, timeoutMs: 2_000 });

    // Assess
    expect(response).toEqual({ kind: 'answered', status: 500, body: 'é'.repeat(512) });
  });

  it('answers no-answer when the backend stays silent past the timeout', async () => {
    // Prepare
    server.answerNext('hang');

    // Act
    const response = await backend.post({ url, body: '{}', headers: {}, timeoutMs: 200 });

    // Assess
    expect(response.kind).toBe('no-answer');
    expect(response).toMatchObject({ error: expect.stringMatching(/timeout|aborted/i) });
  });

  it('answers no-answer when the connection is refused', async () => {
    // Prepare
    const dead = await refusingEndpoint();

    // Act
    const response = await backend.post({ url: dead, body: '{}', headers: {}, timeoutMs: 2_000 });

    // Assess
    expect(response).toEqual({ kind: 'no-answer', error: expect.stringContaining('ECONNREFUSED') });
  });
});
