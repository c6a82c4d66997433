import type { z } from 'zod';

/**
 * Turns zod issues into lines a user can act on: where (the field's path), what is wrong and how
 * to fix it (the schema's own messages say what to use), and the value found there. Never a
 * stack trace, never zod's internal wording for a union.
 */

/** One problem with a configuration value. */
export interface ConfigProblem {
  /** Path of the field in the document, e.g. `['routes', 1, 'retry', 'maxSeconds']`. */
  readonly path: readonly PropertyKey[];
  /** What is wrong and what to use instead. */
  readonly message: string;
  /** The value found at `path` (undefined when the field is missing). */
  readonly value: unknown;
}

/** The value at a path of a parsed JSON document, or undefined where the path leaves it. */
export function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let node = document;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The closest of `candidates` to a misspelt `word`, when close enough to be a likely typo. */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let diagonal = row[0] ?? 0;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const above = row[j] ?? 0;
        const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
        row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
        diagonal = above;
      }
    }
    return row[b.length] ?? 0;
  };
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const score = distance(word, name);
    if (score <= Math.max(2, Math.floor(name.length / 3)) && (!best || score < best.score))
      best = { name, score };
  }
  return best?.name;
}

/**
 * The problems behind a failed parse. A union reports only its closest branch (the one with the
 * fewest complaints), and an unknown field suggests the known one it most resembles.
 * `knownFields` gives, for a path, the field names valid there (for the suggestion).
 */
export function configProblems(
  issues: readonly z.core.$ZodIssue[],
  document: unknown,
  knownFields: (path: readonly PropertyKey[]) => readonly string[] = () => [],
  prefix: readonly PropertyKey[] = [],
): ConfigProblem[] {
  return issues.flatMap((issue): ConfigProblem[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      return configProblems(closest, document, knownFields, path);
    }
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A bad key of a record (a header name): what is wrong with the key, and the key itself.
      return issue.issues.map((inner) => ({ path, message: inner.message, value: path.at(-1) }));
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const suggestion = closestName(key, knownFields(path));
        return {
          path: [...path, key],
          message: `unknown field; ${suggestion ? `did you mean '${suggestion}'? ` : ''}remove it or correct its spelling`,
          value: valueAt(document, [...path, key]),
        };
      });
    }
    const missing = issue.code === 'invalid_type' && valueAt(document, path) === undefined;
    return [
      {
        path,
        message: missing ? `is required: ${issue.message}` : issue.message,
        value: valueAt(document, path),
      },
    ];
  });
}

/** `routes[1].retry.maxSeconds` from `['routes', 1, 'retry', 'maxSeconds']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** The value as the user wrote it, kept short. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
