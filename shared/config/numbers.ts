/**
 * The one reading of whole numbers from text, for environment variables and `gd` flags alike, so
 * `' 10 '`, `'1e3'` or `'0x10'` mean the same everywhere: surrounding blanks are ignored, and the
 * rest must be decimal digits with an optional minus sign.
 */

/** `'10'` → 10 when it is a whole number from `min` to `max`; anything else → undefined (the caller names the source). */
export function parseWholeNumber(raw: string, min: number, max: number): number | undefined {
  if (!/^\s*-?\d+\s*$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
}
