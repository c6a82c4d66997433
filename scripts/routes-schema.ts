import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES_JSON_SCHEMA_PATH, routesJsonSchemaText } from '../shared/config/routes-json-schema.js';

// `npm run routes-schema`: regenerates the routes file's JSON Schema after a change to its zod schema.
const path = join(import.meta.dirname, '..', ROUTES_JSON_SCHEMA_PATH);
writeFileSync(path, routesJsonSchemaText());
process.stdout.write(`wrote ${ROUTES_JSON_SCHEMA_PATH}\n`);
