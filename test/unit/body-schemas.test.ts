import { describe, expect, it } from 'vitest';
import {
  BODY_SCHEMA_NAMES,
  BUILT_IN_BODY_SCHEMAS,
  compileBodySchema,
} from '../../shared/schemas/body-schemas.js';

describe('body schemas', () => {
  it.each(BODY_SCHEMA_NAMES)(
    'built-in %s passes the draft 2020-12 meta-schema check the ingest skips',
    (name) => {
      expect(() => compileBodySchema(BUILT_IN_BODY_SCHEMAS[name])).not.toThrow();
    },
  );

  it('checks a document against the meta-schema unless told it was checked already', () => {
    // Prepare: a schema the meta-schema refuses (type must be a name or a list of names)
    const invalid = { type: 12 };

    // Act
    const unchecked = () => compileBodySchema(invalid);

    // Assess: refused when not checked before; the ingest's cold start path does not look again
    expect(unchecked).toThrow(/not a valid JSON Schema/);
    expect(compileBodySchema({ type: 'object', required: ['id'] }, { checked: true }).safeParse({})).toEqual({
      success: false,
      error: { issues: [{ path: ['id'], message: "must have required property 'id'" }] },
    });
  });
});
