import { z } from 'zod';
import { HEADER_VALUE, SECRET_ID } from './header-value.js';

/** What a header value that is neither form should look like. */
const HEADER_VALUE_FORMS =
  'use a text value, or {"secret": "<Secrets Manager name or ARN>", "field": "<JSON key>", "prefix": "Bearer "}';

/** The zod schema of one header value (the routes file's `headers` values, and TARGET_HEADERS's). */
export const headerValueSchema = z.union(
  [
    z.string({ error: HEADER_VALUE_FORMS }).regex(HEADER_VALUE, {
      error: 'use a non-empty value on one line (at most 8192 characters)',
    }),
    z
      .strictObject(
        {
          secret: z
            .string({ error: 'use a Secrets Manager secret name or ARN' })
            .regex(SECRET_ID, { error: 'use a Secrets Manager secret name or ARN' })
            .describe('Secrets Manager secret (name or ARN) whose value is sent.'),
          field: z
            .string({ error: 'use the JSON key of the value inside the secret' })
            .min(1, { error: 'use the JSON key of the value inside the secret' })
            .optional()
            .describe('When the secret holds a JSON object: the key whose text value is sent.'),
          prefix: z
            .string({ error: 'use text such as "Bearer "' })
            .regex(/^[^\r\n\0]{0,256}$/, { error: 'use text on one line (at most 256 characters)' })
            .optional()
            .describe('Text sent before the secret value, e.g. "Bearer ".'),
        },
        { error: HEADER_VALUE_FORMS },
      )
      .describe('A value read from Secrets Manager by the forwarder; only the reference is deployed.'),
  ],
  { error: HEADER_VALUE_FORMS },
);
