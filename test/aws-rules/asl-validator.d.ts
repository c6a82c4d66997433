/** asl-validator ships no types: the one function the checks call. */
declare module 'asl-validator' {
  /** Validates an Amazon States Language definition: its JSON Schema, paths and state references. */
  export default function aslValidator(
    definition: unknown,
    options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
  ): { readonly isValid: boolean; readonly errors: readonly unknown[] };
}
