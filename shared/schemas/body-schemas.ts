import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini rather than zod's classic API: the ingest bundles these schemas, and mini plus the
// English messages is about 20 KB where the classic API is about 450 KB (a faster cold start).
z.config(en());

/**
 * Body schemas a route can validate against, by name. Names (not schema objects) go into route
 * configuration so the stack can pass them to the ingest function as an environment variable.
 * Unknown extra fields are kept: the ingest checks what the backend needs, it does not reshape.
 */
const text = () => z.string().check(z.minLength(1));
const stop = z.looseObject({ time: text(), station: text() });

/** The reference scenario's catering registration (Railco's catering registration, docs/reference-mapping.md). */
export const cateringRegistrationSchema = z.looseObject({
  passengerId: text(),
  class: z.optional(text()),
  train: text(),
  departure: z.optional(stop),
  arrival: z.optional(stop),
  duration: z.optional(z.string()),
  food: z.optional(
    z.array(
      z.looseObject({
        serving: text(),
        type: text(),
        comments: z.optional(z.array(z.string())),
      }),
    ),
  ),
});

/**
 * The reference scenario's request body (its "Step 1: Invoke the API"), verbatim: the sample
 * `gd send` posts by default and the scenario tests send. Valid for {@link cateringRegistrationSchema}.
 */
export const REFERENCE_CATERING_REGISTRATION = {
  passengerId: '241241d',
  class: 'first',
  train: 'RLC-5051',
  departure: { time: '2021-07-16 11:45', station: 'King Cross' },
  arrival: { time: '2021-07-16 16:40', station: 'Edinburgh' },
  duration: '4h 55m',
  food: [
    { serving: 'lunch', type: 'Asian', comments: ['Not too spicy'] },
    { serving: 'snacks', type: 'Normal', comments: [] },
  ],
};

/** What the ingest needs of a schema: zod's safeParse, whichever zod API built it. */
export interface BodySchema {
  safeParse(
    input: unknown,
  ):
    | { readonly success: true }
    | { readonly success: false; readonly error: { readonly issues: readonly BodyIssue[] } };
}

/** One reason a body does not match, with where in the document. */
export interface BodyIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** The body schemas a route can name (`schema` in the routes file, BODY_SCHEMA for the ingest). */
export const BODY_SCHEMAS = {
  /** Any JSON object. */
  'json-object': z.record(z.string(), z.unknown()),
  /** Any JSON value. */
  json: z.unknown(),
  'catering-registration': cateringRegistrationSchema,
} as const satisfies Record<string, BodySchema>;

/** One of {@link BODY_SCHEMAS}' names. */
export type BodySchemaName = keyof typeof BODY_SCHEMAS;

/** {@link BODY_SCHEMAS}' names, for error messages and the routes file's JSON Schema. */
export const BODY_SCHEMA_NAMES = Object.keys(BODY_SCHEMAS) as BodySchemaName[];
