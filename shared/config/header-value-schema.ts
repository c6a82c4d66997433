import { z } from 'zod';
import { HEADER_VALUE, KMS_KEY_ARN, SECRET_ID } from './header-value.js';

/** What a header value that is neither form should look like. */
const HEADER_VALUE_FORMS =
  'use a text value, or {"secret": "<Secrets Manager name or ARN>", "field": "<JSON key>", "prefix": "Bearer ", "kmsKey": "<KMS key ARN>"}';

/** The customer-managed KMS key a secret is encrypted with (a key ARN; an alias is refused). */
export const kmsKeySchema = z
  .string({ error: 'use the ARN of a KMS key: arn:aws:kms:<region>:<account>:key/<key id>' })
  .regex(KMS_KEY_ARN, {
    error: 'use the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<key id>), not an alias',
  })
  .optional()
  .describe(
    'ARN of the customer-managed KMS key the secret is encrypted with; on AWS the forwarder may decrypt with it through Secrets Manager only. Absent = the AWS-managed key.',
  );

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
          kmsKey: kmsKeySchema,
        },
        { error: HEADER_VALUE_FORMS },
      )
      .describe('A value read from Secrets Manager by the forwarder; only the reference is deployed.'),
  ],
  { error: HEADER_VALUE_FORMS },
);
