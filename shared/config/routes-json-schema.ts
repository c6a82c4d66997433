import { z } from 'zod';
import { deliveryFileSchema } from './delivery-file-schema.js';

/** Where the generated JSON Schema of the routes file is committed, relative to the repository root. */
export const ROUTES_JSON_SCHEMA_PATH = 'schemas/delivery-config.schema.json';

/**
 * The routes file's JSON Schema (draft 2020-12), generated from the zod schema the loader uses,
 * so an editor checks and completes a file by the same rules `cdk synth` applies. It describes the
 * input: fields with defaults are optional and show their default.
 */
export function routesJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(deliveryFileSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Guaranteed-delivery routes file',
  };
}

/** The schema as committed: two-space JSON with a final newline. */
export function routesJsonSchemaText(): string {
  return `${JSON.stringify(routesJsonSchema(), null, 2)}\n`;
}
