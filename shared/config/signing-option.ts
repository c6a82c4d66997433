import { z } from 'zod';
import { SECRET_ID } from './header-value.js';
import { kmsKeySchema } from './header-value-schema.js';

/** What a `signing` value that is neither form should look like. */
const SIGNING_FORMS =
  'use true, false, or {"secret": "<Secrets Manager name or ARN>", "kmsKey": "<KMS key ARN>", "localSecretEnv": "<VARIABLE>"}';

/**
 * A route's `signing` setting (Standard Webhooks signatures on every delivery attempt):
 * - `true`: on AWS the stack creates the route's secret with a generated value; locally the runner
 *   creates it in the emulator's Secrets Manager (generated, or from `localSecretEnv`);
 * - `{"secret": "<name or ARN>"}`: on AWS, an existing Secrets Manager secret instead (with
 *   `"kmsKey": "<key ARN>"` when a customer-managed KMS key encrypts it);
 * - `{"localSecretEnv": "ORDERS_SIGNING_SECRET"}`: locally, seed the secret from that variable;
 * - `false` or absent: unsigned (locally `SIGNING_SECRET` still signs the default route).
 * Read as a {@link SigningOption}, or undefined when off.
 */
export const signingOptionSchema = z
  .union(
    [
      z.boolean({ error: SIGNING_FORMS }),
      z
        .strictObject(
          {
            secret: z
              .string({ error: 'use a Secrets Manager secret name or ARN' })
              .regex(SECRET_ID, {
                error: 'use a Secrets Manager secret name or ARN',
              })
              .optional()
              .describe(
                'An existing Secrets Manager secret (name or ARN) to sign with on AWS, instead of a new one.',
              ),
            kmsKey: kmsKeySchema,
            localSecretEnv: z
              .string({ error: 'use an environment variable name such as ORDERS_SIGNING_SECRET' })
              .regex(/^[A-Z_][A-Z0-9_]*$/, {
                error: 'use an environment variable name such as ORDERS_SIGNING_SECRET',
              })
              .optional()
              .describe(
                'Locally: the variable holding the whsec_ secret to start with (default: a generated one).',
              ),
          },
          { error: SIGNING_FORMS },
        )
        // A generated secret uses the AWS-managed key; a key of your own is an existing secret's.
        .refine((option) => option.kmsKey === undefined || option.secret !== undefined, {
          path: ['kmsKey'],
          error: 'kmsKey names the key of an existing secret: give its "secret" too, or remove kmsKey',
        }),
    ],
    { error: SIGNING_FORMS },
  )
  .transform((option): SigningOption | undefined => {
    if (option === false) return undefined;
    return option === true ? {} : option;
  });

/** A signed route's settings, `true` read as all defaults. */
export interface SigningOption {
  readonly secret?: string;
  /** The customer-managed KMS key that encrypts `secret` (its ARN); absent = the AWS-managed key. */
  readonly kmsKey?: string;
  readonly localSecretEnv?: string;
}
