import { describe, expect, it } from 'vitest';
import {
  attemptTraceHeaders,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
  traceFromRequest,
} from '../../shared/trace-context.js';

const CLIENT_PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('parseTraceparent', () => {
  it('reads a valid version-00 header', () => {
    expect(parseTraceparent(CLIENT_PARENT)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
  });

  it('reads the first four fields of a later version', () => {
    expect(parseTraceparent(`01-${CLIENT_PARENT.slice(3)}-extra`)?.traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });

  it.each([
    ['version ff', `ff-${CLIENT_PARENT.slice(3)}`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['version 00 with extra fields', `${CLIENT_PARENT}-extra`],
    ['a short trace id', '00-4bf92f35-00f067aa0ba902b7-01'],
    ['garbage', 'hello'],
  ])('rejects %s', (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('traceFromRequest', () => {
  it("keeps the client's traceparent and tracestate", () => {
    expect(traceFromRequest({ traceparent: CLIENT_PARENT, tracestate: 'congo=t61rcWkgMzE' })).toEqual({
      traceparent: CLIENT_PARENT,
      tracestate: 'congo=t61rcWkgMzE',
    });
  });

  it('starts a new sampled trace when the client sent none, each one different', () => {
    // Act
    const [a, b] = [traceFromRequest({}), traceFromRequest({})];

    // Assess
    expect(a.traceparent).toMatch(TRACEPARENT);
    expect(a.traceparent.endsWith('-01')).toBe(true);
    expect(a.traceparent).not.toBe(b.traceparent);
  });

  it('ignores a tracestate that came with an invalid traceparent, and one over the length limit', () => {
    expect(traceFromRequest({ traceparent: 'bad', tracestate: 'a=b' }).tracestate).toBeUndefined();
    expect(
      traceFromRequest({ traceparent: CLIENT_PARENT, tracestate: `a=${'x'.repeat(MAX_TRACESTATE_LENGTH)}` })
        .tracestate,
    ).toBeUndefined();
  });
});

describe('attemptTraceHeaders', () => {
  it('keeps the trace id and flags with a new parent id on every attempt', () => {
    // Act
    const first = attemptTraceHeaders('m-1', { traceparent: CLIENT_PARENT, tracestate: 'congo=t61' });
    const second = attemptTraceHeaders('m-1', { traceparent: CLIENT_PARENT, tracestate: 'congo=t61' });

    // Assess
    const [p1, p2] = [parseTraceparent(first.traceparent), parseTraceparent(second.traceparent)];
    expect(p1?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(p2?.traceId).toBe(p1?.traceId);
    expect(p1?.flags).toBe('01');
    expect(new Set([p1?.parentId, p2?.parentId, '00f067aa0ba902b7']).size).toBe(3);
    expect(first.tracestate).toBe('congo=t61');
  });

  it('derives one trace id from the message id for a message stored without a trace', () => {
    // Act
    const first = parseTraceparent(attemptTraceHeaders('m-2', {}).traceparent);
    const second = parseTraceparent(attemptTraceHeaders('m-2', {}).traceparent);
    const other = parseTraceparent(attemptTraceHeaders('m-3', {}).traceparent);

    // Assess
    expect(first?.traceId).toBe(second?.traceId);
    expect(first?.traceId).not.toBe(other?.traceId);
    expect(first?.parentId).not.toBe(second?.parentId);
  });
});
