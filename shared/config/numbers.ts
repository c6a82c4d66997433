/**
 * The one reading of numbers from text, for environment variables and `gd` flags alike, so that
 * `' 10 '`, `'1e3'` or `'0x10'` mean the same everywhere: surrounding blanks are ignored, and the
 * rest must be plain decimal notation (an optional minus sign, digits, an optional fraction).
 */

const DECIMAL = /^\s*-?\d+(\.\d+)?\s*$/;

/** `'2.5'` → 2.5; text that is not plain decimal notation → undefined (the caller names the source). */
export function parseDecimal(raw: string): number | undefined {
  return DECIMAL.test(raw) ? Number(raw) : undefined;
}

/** `'10'` → 10 when it is a whole number from `min` to `max`; anything else → undefined. */
export function parseWholeNumber(
  raw: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = parseDecimal(raw);
  return value !== undefined && Number.isSafeInteger(value) && value >= min && value <= max
    ? value
    : undefined;
}
