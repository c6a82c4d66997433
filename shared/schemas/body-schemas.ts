import { z } from 'zod';

/**
 * Body schemas a route can validate against, by name. Names (not schema objects) go into route
 * configuration so the stack can pass them to the ingest function as an environment variable.
 * Unknown extra fields are kept: the ingest checks what the backend needs, it does not reshape.
 */
const stop = z.looseObject({ time: z.string().min(1), station: z.string().min(1) });

/** The reference scenario's catering registration (seeds/003). */
export const cateringRegistrationSchema = z.looseObject({
  passengerId: z.string().min(1),
  class: z.string().min(1).optional(),
  train: z.string().min(1),
  departure: stop.optional(),
  arrival: stop.optional(),
  duration: z.string().optional(),
  food: z
    .array(
      z.looseObject({
        serving: z.string().min(1),
        type: z.string().min(1),
        comments: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

export const BODY_SCHEMAS = {
  /** Any JSON object. */
  'json-object': z.record(z.string(), z.unknown()),
  /** Any JSON value. */
  json: z.unknown(),
  'catering-registration': cateringRegistrationSchema,
} as const satisfies Record<string, z.ZodType>;

export type BodySchemaName = keyof typeof BODY_SCHEMAS;

export const BODY_SCHEMA_NAMES = Object.keys(BODY_SCHEMAS) as BodySchemaName[];
