/**
 * The props that are set. Constructs merge `{ ...DEFAULTS, ...definedOnly(props) }` so that a prop
 * passed as `undefined` keeps its documented default instead of erasing it.
 */
export function definedOnly<T extends object>(props: T): Partial<T> {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as Partial<T>;
}
