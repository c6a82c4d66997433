import { describe, expect, it } from 'vitest';
import { needsALook, type RouteStatus } from '../../cli/commands/status.js';
import { UsageError } from '../../cli/errors.js';
import { type StackTarget, selectRoutes } from '../../cli/stack/stack-target.js';

/** A stack of 200 routes as gd sees it (names only: selection reads nothing else). */
const stack = {
  routes: Array.from({ length: 200 }, (_, i) => ({
    name: `${i % 2 ? 'orders' : 'billing'}-${String(i).padStart(3, '0')}`,
    path: `/r/${i}`,
    queueUrl: `q${i}`,
    dlqUrl: `d${i}`,
  })),
} as unknown as StackTarget;

const idle: RouteStatus = {
  route: 'orders-001',
  paused: false,
  queueDepth: 0,
  inFlight: 0,
  oldestAgeSeconds: null,
  ageMethod: 'cloudwatch',
  dlqDepth: 0,
  failoverBacklog: 0,
};

describe('gd --route at 200 routes', () => {
  it('selects every route, one by name, or those a glob matches', () => {
    // Act / Assess
    expect(selectRoutes(stack, undefined)).toHaveLength(200);
    expect(selectRoutes(stack, 'orders-017').map((r) => r.name)).toEqual(['orders-017']);
    expect(selectRoutes(stack, 'orders-*')).toHaveLength(100);
    expect(selectRoutes(stack, 'billing-01?').map((r) => r.name)).toEqual([
      'billing-010',
      'billing-012',
      'billing-014',
      'billing-016',
      'billing-018',
    ]);
    expect(selectRoutes(stack, '*')).toHaveLength(200);
  });

  it('fails on a glob that matches nothing, and on an unknown name, as a usage error', () => {
    // Act / Assess
    expect(() => selectRoutes(stack, 'payments-*')).toThrow(UsageError);
    expect(() => selectRoutes(stack, 'payments-*')).toThrow(
      "no route matches 'payments-*'; this stack has 200 route(s)",
    );
    expect(() => selectRoutes(stack, 'payments')).toThrow(/unknown route 'payments'/);
  });

  it('tells an idle route from one that needs a look (one screen: gd status lists only those)', () => {
    // Act / Assess
    expect(needsALook(idle)).toBe(false);
    expect(needsALook({ ...idle, dlqDepth: 1 })).toBe(true);
    expect(needsALook({ ...idle, queueDepth: 3 })).toBe(true);
    expect(needsALook({ ...idle, paused: true })).toBe(true);
    expect(needsALook({ ...idle, failoverBacklog: 2 })).toBe(true);
  });
});
