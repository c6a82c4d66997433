import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import cateringRegistration from '../../schemas/body/catering-registration.schema.json' with { type: 'json' };
import json from '../../schemas/body/json.schema.json' with { type: 'json' };
import jsonObject from '../../schemas/body/json-object.schema.json' with { type: 'json' };
import { ConfigurationError } from '../errors.js';

/**
 * Body schemas are JSON Schema documents (draft 2020-12), validated with Ajv: a route names a
 * built-in one or gives the path of its own file. Each is compiled once, when the ingest starts
 * (once per container), never per request. The built-ins are bundled with the ingest as JSON.
 */

/** The schemas that ship with the service, by the name a route may use instead of a path. */
export const BUILT_IN_BODY_SCHEMAS = {
  /** Any JSON object. */
  'json-object': jsonObject,
  /** Any JSON value. */
  json,
  /** The reference scenario's catering registration. */
  'catering-registration': cateringRegistration,
} as const;

export type BodySchemaName = keyof typeof BUILT_IN_BODY_SCHEMAS;

export const BODY_SCHEMA_NAMES = Object.keys(BUILT_IN_BODY_SCHEMAS) as BodySchemaName[];

/** Whether a route's `schema` names a built-in schema (otherwise it is a path to a file). */
export function isBuiltInBodySchema(name: string): name is BodySchemaName {
  // hasOwn, not `in`: 'toString' and the like are on every object's prototype, not schemas.
  return Object.hasOwn(BUILT_IN_BODY_SCHEMAS, name);
}

/**
 * The reference scenario's request body ("Step 1: Invoke the API"), verbatim: the sample `gd send`
 * posts by default and the scenario tests send. Valid for the catering-registration schema.
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

/** One reason a body does not match, with where in the document. */
export interface BodyIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** What the ingest needs of a schema: a check that says what is wrong, with paths. */
export interface BodySchema {
  safeParse(
    input: unknown,
  ):
    | { readonly success: true }
    | { readonly success: false; readonly error: { readonly issues: readonly BodyIssue[] } };
}

/** Where an Ajv error points, as a path: a missing property is named, as zod named it. */
function issueOf(error: ErrorObject): BodyIssue {
  const path: PropertyKey[] = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  return { path, message: error.message ?? `fails ${error.keyword}` };
}

/**
 * Compiles a JSON Schema document into a {@link BodySchema}; a ConfigurationError says why it cannot. `allErrors` so a client learns every
 * problem at once (the ingest shows the first 20); formats are not checked (no ajv-formats bundled).
 *
 * `checked`: the document was already compiled once with its meta-schema check (a built-in, or a
 * routes file's schema, which the loader checks at `cdk synth` and `npm start`), so the ingest's cold
 * start skips that check: compiling the draft 2020-12 meta-schema is most of a first compile (about
 * 40 of 50 ms here).
 */
export function compileBodySchema(document: unknown, options: { checked?: boolean } = {}): BodySchema {
  // A new instance per schema: user schemas may share an $id without clashing in one registry.
  const ajv = new Ajv2020({
    allErrors: true,
    strict: false,
    validateFormats: false,
    validateSchema: options.checked !== true,
  });
  let validate: ReturnType<typeof ajv.compile>;
  try {
    validate = ajv.compile(document as object);
  } catch (error) {
    throw new ConfigurationError(`not a valid JSON Schema: ${(error as Error).message}`, { cause: error });
  }
  return {
    safeParse(input) {
      if (validate(input)) return { success: true };
      return { success: false, error: { issues: (validate.errors ?? []).map(issueOf) } };
    },
  };
}

const compiledBuiltIns = new Map<BodySchemaName, BodySchema>();

/** A built-in schema, compiled on first use and kept. */
export function builtInBodySchema(name: BodySchemaName): BodySchema {
  let schema = compiledBuiltIns.get(name);
  if (!schema) {
    // Built-ins are checked against the meta-schema by their unit test, not at every cold start.
    schema = compileBodySchema(BUILT_IN_BODY_SCHEMAS[name], { checked: true });
    compiledBuiltIns.set(name, schema);
  }
  return schema;
}
