import { describe, expect, it } from 'vitest';
import { parseDecimal, parseWholeNumber } from '../../shared/config/numbers.js';

describe('numbers from text', () => {
  it('reads plain decimal notation, blanks around it ignored', () => {
    // Act / Assess
    expect([' 10 ', '-3', '2.5', '0'].map(parseDecimal)).toEqual([10, -3, 2.5, 0]);
    expect([' 10 ', '-3', '0'].map((text) => parseWholeNumber(text))).toEqual([10, -3, 0]);
  });

  it('rejects notations that Number() would accept, so env and flags agree', () => {
    // Act / Assess
    for (const text of ['1e3', '0x10', '', ' ', 'Infinity', '1_000', '+5', '.5', '5.']) {
      expect(parseDecimal(text)).toBeUndefined();
      expect(parseWholeNumber(text)).toBeUndefined();
    }
  });

  it('rejects a whole number outside the bounds, and a fraction', () => {
    // Act / Assess
    expect(parseWholeNumber('0', 1, 10)).toBeUndefined();
    expect(parseWholeNumber('11', 1, 10)).toBeUndefined();
    expect(parseWholeNumber('2.5', 1, 10)).toBeUndefined();
    expect(parseWholeNumber('10', 1, 10)).toBe(10);
    expect(parseWholeNumber('99999999999999999999')).toBeUndefined();
  });
});
