import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../shared/aws/dynamodb-failover-store.js';
import { FAILOVER_TABLE } from '../../shared/tables.js';

describe('shardOf', () => {
  it('gives the same shard for the same id, always within [0, shards)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (id) => {
        // Act
        const shard = shardOf(id);

        // Assess
        expect(shardOf(id)).toBe(shard);
        expect(shard).toMatch(/^\d+$/);
        expect(Number(shard)).toBeGreaterThanOrEqual(0);
        expect(Number(shard)).toBeLessThan(FAILOVER_TABLE.shards);
      }),
    );
  });

  it('spreads ids over every shard', () => {
    // Prepare
    const ids = Array.from({ length: 200 }, (_, n) => `msg-${n}`);

    // Act
    const used = new Set(ids.map(shardOf));

    // Assess
    expect(used.size).toBe(FAILOVER_TABLE.shards);
  });
});
