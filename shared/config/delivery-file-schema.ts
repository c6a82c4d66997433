import { z } from 'zod';
import { MESSAGE_TABLE } from '../tables.js';
import { DEFAULT_TABLE_BILLING, FRONT_DOOR_HTTP_API, FRONT_DOOR_REST } from './front-door.js';
import { DEFAULT_API_KEY_REQUIRED, DEFAULT_DRAIN_INTERVAL_SECONDS } from './route-defaults.js';
import { wholeNumber } from './route-option-schemas.js';
import { pathCollisions } from './route-paths.js';
import { routeSchema } from './route-schema.js';

/**
 * The whole routes file: its routes (route-schema.ts) and the settings the deployment shares (the
 * drainer's interval, the API key, record retention, the front door, the tables' billing).
 */

/** The fewest days of record retention allowed (queue + DLQ retention, rounded up). */
export const MIN_RECORD_RETENTION_DAYS = Math.ceil(MESSAGE_TABLE.minRetentionSeconds / 86_400);

/** HTTP API authorization: SigV4 (IAM) or a JWT from an OIDC issuer. */
const httpApiAuthorizationSchema = z
  .discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('iam') }).describe('AWS SigV4-signed requests (execute-api:Invoke).'),
      z
        .strictObject({
          type: z.literal('jwt'),
          issuer: z
            .url({ protocol: /^https$/, error: 'use the https:// URL of the JWT issuer' })
            .describe('The OIDC issuer URL (its /.well-known/openid-configuration is read).'),
          audience: z
            .array(z.string().min(1), { error: 'use a list of audiences, e.g. ["my-client-id"]' })
            .min(1, { error: 'list at least one audience' })
            .describe('Audiences (client ids) a token must carry.'),
        })
        .describe('A bearer JWT checked by API Gateway.'),
    ],
    { error: 'use {"type": "iam"} or {"type": "jwt", "issuer": "https://...", "audience": ["..."]}' },
  )
  .describe('How HTTP API clients authenticate.');

/** Which API Gateway flavour clients reach. */
const frontDoorSchema = z
  .discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal(FRONT_DOOR_REST) }).describe('REST API: API keys and usage plans.'),
      z
        .strictObject({
          type: z.literal(FRONT_DOOR_HTTP_API),
          authorization: httpApiAuthorizationSchema.default({ type: 'iam' }),
        })
        .describe('HTTP API: IAM or JWT authorization, about a third of the REST price.'),
    ],
    {
      error: `use {"type": "${FRONT_DOOR_REST}"} or {"type": "${FRONT_DOOR_HTTP_API}", "authorization": ...}`,
    },
  )
  .describe('The API Gateway front door: rest (default) or http-api.');

/** Capacity units a provisioned table may scale between. */
const capacityRangeSchema = z
  .strictObject({
    min: wholeNumber(1, 40_000, ' of capacity units'),
    max: wholeNumber(1, 40_000, ' of capacity units'),
  })
  .refine((range) => range.max >= range.min, { error: 'max must be >= min' });

/** How the DynamoDB tables are billed. */
const tableBillingSchema = z
  .discriminatedUnion(
    'mode',
    [
      z.strictObject({ mode: z.literal('on-demand') }).describe('Pay per request.'),
      z
        .strictObject({
          mode: z.literal('provisioned'),
          writeCapacity: capacityRangeSchema.describe(
            'Write capacity units auto scaling keeps each table within.',
          ),
          readCapacity: capacityRangeSchema.describe(
            'Read capacity units auto scaling keeps each table within.',
          ),
          targetUtilizationPercent: wholeNumber(20, 90, ' percent')
            .default(70)
            .describe('Utilization auto scaling aims for.'),
        })
        .describe('Provisioned capacity with target-tracking auto scaling: cheaper at a steady load.'),
    ],
    {
      error:
        'use {"mode": "on-demand"} or {"mode": "provisioned", "writeCapacity": {...}, "readCapacity": {...}}',
    },
  )
  .describe('DynamoDB billing of the tables: on-demand (default) or provisioned.');

/** The whole routes file: the routes and the settings the deployment shares. */
export const deliveryFileSchema = z
  .strictObject({
    /** Lets an editor find the JSON Schema; ignored otherwise. */
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
    routes: z
      .array(routeSchema, {
        error: 'use a list of routes: "routes": [{"name": ..., "path": ..., "target": ...}]',
      })
      .min(1, { error: 'list at least one route' })
      .describe('The delivery routes; each gets its own queue, dead-letter queue and forwarder.'),
    /** How often the drainer moves failover items back to their queues. */
    drainIntervalSeconds: wholeNumber(1, 86_400, ' of seconds')
      .default(DEFAULT_DRAIN_INTERVAL_SECONDS)
      .describe('Seconds between drainer runs; on AWS a whole number of minutes (60, 120, ...).'),
    /** Whether the deployed API requires an API key (usage plan). */
    apiKeyRequired: z
      .boolean({ error: 'use true or false' })
      .default(DEFAULT_API_KEY_REQUIRED)
      .describe('Whether the deployed API requires an x-api-key (usage plan).'),
    /** Days a message's status record is kept after its last write; it must outlive the message. */
    recordRetentionDays: wholeNumber(MIN_RECORD_RETENTION_DAYS, 3650, ' of days')
      .default(MESSAGE_TABLE.defaultRetentionDays)
      .describe(
        `Days a message's status record (GET <path>/{messageId}) is kept after its last write; at least ${MIN_RECORD_RETENTION_DAYS}, the queue's plus the DLQ's retention.`,
      ),
    /** The API Gateway front door (deployment-wide). */
    frontDoor: frontDoorSchema.default({ type: FRONT_DOOR_REST }),
    /** DynamoDB billing of the stack's tables (deployment-wide). */
    tableBilling: tableBillingSchema.default(() => ({ ...DEFAULT_TABLE_BILLING })),
  })
  .superRefine((file, context) => {
    // Names and paths become resource ids and API resources: each must be unique.
    for (const field of ['name', 'path'] as const) {
      const seen = new Set<string>();
      file.routes.forEach((route, index) => {
        if (seen.has(route[field])) {
          context.addIssue({
            code: 'custom',
            path: ['routes', index, field],
            message: `another route already uses this ${field}; give each route its own`,
          });
        }
        seen.add(route[field]);
      });
    }
    // A path that is another route's path plus one segment is that route's batch or status lookup.
    for (const { index, reason } of pathCollisions(file.routes)) {
      context.addIssue({ code: 'custom', path: ['routes', index, 'path'], message: reason });
    }
  })
  .describe('Guaranteed-delivery routes file (DELIVERY_CONFIG).');

/** A validated routes file. */
export type DeliveryFile = z.output<typeof deliveryFileSchema>;
