import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES_JSON_SCHEMA_PATH, routesJsonSchemaText } from '../../shared/config/routes-json-schema.js';

const committed = readFileSync(new URL(`../../${ROUTES_JSON_SCHEMA_PATH}`, import.meta.url), 'utf8');

describe('the routes file JSON Schema', () => {
  it('is what the zod schema generates today (run `npm run routes-schema` after changing it)', () => {
    // Assess
    expect(committed).toBe(routesJsonSchemaText());
  });
});
