import { describe, expect, it } from 'vitest';

/** The Lambda runtime of the stack (nodejs24.x); the tests must run on the same Node major. */
const LAMBDA_NODE_MAJOR = 24;

describe('test runtime', () => {
  it(`runs on Node ${LAMBDA_NODE_MAJOR}, the Lambda runtime's major`, () => {
    // Act
    const major = Number(process.versions.node.split('.')[0]);

    // Assess
    expect(major).toBe(LAMBDA_NODE_MAJOR);
  });
});
