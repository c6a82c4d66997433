import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../shared/config/env-names.js';
import { USER_ENV } from '../shared/config/env-names.js';

/**
 * What `npm start`'s local stack promises to whoever operates it (`gd --local`, tests, scripts):
 * the variables it reads, its defaults, where its endpoints are, where it publishes the routes it
 * runs, the pause tag and the credentials it signs emulator calls with. This is the one module of local/ that cli/ imports, so it pulls in
 * nothing of the runner (no moto, no functions).
 */

/** Environment variables only the local stack reads (the user-facing ones are in USER_ENV). */
export const LOCAL_ENV = {
  /** Prefix of the local queue and table names. @default gd-local */
  LOCAL_PREFIX: 'LOCAL_PREFIX',
  /** Port of the moto server started when AWS_ENDPOINT_URL is unset. @default 4599 */
  LOCAL_AWS_PORT: 'LOCAL_AWS_PORT',
  /** Port of the demo backend started when CATERING_SERVICE_EP is unset. @default 8291 */
  DEMO_BACKEND_PORT: 'DEMO_BACKEND_PORT',
  /** Make the demo backend fail: `503` (until told otherwise) or `503:3` (the next 3 messages). */
  DEMO_BACKEND_FAIL: 'DEMO_BACKEND_FAIL',
  /** When set, requests need `x-api-key` with this value (403 otherwise). */
  LOCAL_API_KEY: 'LOCAL_API_KEY',
  /** `json` prints the functions' Powertools records as they are; default is the journey view. */
  LOG_FORMAT: 'LOG_FORMAT',
  /** The AWS endpoint of every service (the SDK's own variable); unset: a moto server started locally. */
  AWS_ENDPOINT_URL: 'AWS_ENDPOINT_URL',
  /** SQS's endpoint when it differs (a fault-injection proxy in front of SQS alone). */
  AWS_ENDPOINT_URL_SQS: 'AWS_ENDPOINT_URL_SQS',
  /** DynamoDB's endpoint when it differs. */
  AWS_ENDPOINT_URL_DYNAMODB: 'AWS_ENDPOINT_URL_DYNAMODB',
  /** Folder where a running local stack publishes its routes. @default gd-local-<user id> in the temporary directory */
  LOCAL_STATE_DIR: 'LOCAL_STATE_DIR',
} as const;

/** Port of the local API (`PORT`). */
export const DEFAULT_PORT = 8290;
/** Port of the demo backend (`DEMO_BACKEND_PORT`). */
export const DEFAULT_DEMO_BACKEND_PORT = 8291;
/** Port of the moto server the runner starts (`LOCAL_AWS_PORT`). */
export const DEFAULT_LOCAL_AWS_PORT = 4599;
/** Prefix of the local queue and table names (`LOCAL_PREFIX`). */
export const DEFAULT_PREFIX = 'gd-local';

/**
 * Queue tag that pauses a route locally, where there is no event source mapping to disable: while a
 * delivery queue carries `gd:paused=true`, nothing is received from it and messages wait. `gd pause`
 * (or `aws sqs tag-queue`) sets it; the emulated mapping looks at most once a second.
 */
export const PAUSE_TAG = 'gd:paused';

/**
 * Queue tag the forwarder of a route with a circuit breaker sets while the breaker is open
 * (`gd:breaker=open`): the emulated mapping stops receiving, as on AWS its event source mapping is
 * disabled. Apart from {@link PAUSE_TAG}, so a manual pause outlives the breaker closing.
 */
export const BREAKER_TAG = 'gd:breaker';

/**
 * Queue tag that limits how many of a route's poll loops run (`gd:concurrency=2`): set by the
 * circuit breaker while deliveries ramp back up after it closed, as on AWS the mapping's
 * MaximumConcurrency; removed at the route's own concurrency.
 */
export const CONCURRENCY_TAG = 'gd:concurrency';

/**
 * Credentials for emulator calls: an emulator accepts any, and the SDK will not sign without some.
 * The shell's own keys are used when it has them; a configured AWS_PROFILE is never consulted, so
 * real credentials are not sent to an emulator.
 */
export function emulatorCredentials(env: Env): { accessKeyId: string; secretAccessKey: string } {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  return accessKeyId && secretAccessKey
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId: 'test', secretAccessKey: 'test' };
}

/** SQS's and DynamoDB's endpoints: the per-service variables win over `base` (the SDK's rule). */
export function serviceEndpoints(env: Env, base: string): { sqs: string; dynamoDb: string } {
  return {
    sqs: env[LOCAL_ENV.AWS_ENDPOINT_URL_SQS]?.trim() || base,
    dynamoDb: env[LOCAL_ENV.AWS_ENDPOINT_URL_DYNAMODB]?.trim() || base,
  };
}

/** Where a running local stack is, from the variables and defaults `npm start` used. */
export function localEndpoints(env: Env) {
  const base =
    env[LOCAL_ENV.AWS_ENDPOINT_URL]?.trim() ||
    `http://127.0.0.1:${env[LOCAL_ENV.LOCAL_AWS_PORT]?.trim() || DEFAULT_LOCAL_AWS_PORT}`;
  return {
    base,
    ...serviceEndpoints(env, base),
    api: `http://localhost:${env[USER_ENV.PORT]?.trim() || DEFAULT_PORT}`,
    apiKey: env[LOCAL_ENV.LOCAL_API_KEY] || undefined,
  };
}

/** The local stack's prefix (`LOCAL_PREFIX`, or {@link DEFAULT_PREFIX}). */
export const localPrefix = (env: Env): string => env[LOCAL_ENV.LOCAL_PREFIX]?.trim() || DEFAULT_PREFIX;

/** Where running local stacks publish what they run (`LOCAL_STATE_DIR`, or a folder of the user's own). */
export function localStateDir(env: Env): string {
  // The user's id where there is one: a container's user may have no name (userInfo() then throws).
  const owner = process.getuid?.() ?? userInfo().username;
  return env[LOCAL_ENV.LOCAL_STATE_DIR]?.trim() || join(tmpdir(), `gd-local-${owner}`);
}

/**
 * The routes file a running local stack publishes, as a deployed stack publishes its outputs: the
 * routes and shared settings it runs (after its environment's overrides and the demo backend's
 * address), one file per prefix, removed when it stops. `gd --local` reads its routes from here, so
 * a `DELIVERY_CONFIG` given to `npm start` need not be given to `gd` again.
 */
export const publishedRoutesPath = (env: Env): string =>
  join(localStateDir(env), `${localPrefix(env)}.routes.json`);
