import type { Env } from '../shared/config/env-names.js';
import type { JourneyLog } from './journey-log.js';
import { LOCAL_ENV, serviceEndpoints } from './local-stack-contract.js';
import { type EmbeddedAwsEndpoint, startMotoServer } from './moto-server.js';
import { assertPortFree } from './runner-settings.js';
import { startStrictAwsLayer } from './strict-aws.js';

/** Where the local stack's AWS calls go, and the moto server started for them if one was. */
export interface LocalAwsEndpoints {
  /** AWS_ENDPOINT_URL, or the moto started here. */
  readonly awsEndpoint: string;
  /** AWS_ENDPOINT_URL_SQS when set (a fault proxy in front of SQS), else {@link awsEndpoint}. */
  readonly sqsEndpoint: string;
  /** AWS_ENDPOINT_URL_DYNAMODB when set, else {@link awsEndpoint}. */
  readonly dynamoDbEndpoint: string;
  /** The moto server started here (the caller stops it); undefined when AWS_ENDPOINT_URL was given. */
  readonly moto?: EmbeddedAwsEndpoint;
}

/**
 * Uses the emulator at AWS_ENDPOINT_URL, or starts a moto server on `awsPort` (0 = any free port),
 * and says on the log where each service's calls go.
 */
export async function startAwsEndpoints(
  env: Env,
  awsPort: number,
  log: JourneyLog,
): Promise<LocalAwsEndpoints> {
  let moto: EmbeddedAwsEndpoint | undefined;
  const givenEndpoint = env[LOCAL_ENV.AWS_ENDPOINT_URL]?.trim();
  if (!givenEndpoint) {
    await assertPortFree(awsPort);
    // moto on a port of its own, behind the strict layer on `awsPort`: the layer gives AWS's SQS
    // answers where moto differs (strict-aws.ts), so gd --local and the functions see them alike.
    const server = await startMotoServer({ detached: true });
    const strict = await startStrictAwsLayer(server.endpoint, awsPort);
    moto = {
      endpoint: strict.endpoint,
      stop: async () => {
        await strict.stop();
        await server.stop();
      },
    };
    log.note(
      'aws',
      `started moto_server on ${moto.endpoint}, behind AWS's SQS rules (in memory: its queues go when it stops)`,
    );
  }
  const awsEndpoint = givenEndpoint || (moto?.endpoint ?? '');
  const { sqs: sqsEndpoint, dynamoDb: dynamoDbEndpoint } = serviceEndpoints(env, awsEndpoint);
  if (givenEndpoint) log.note('aws', `using ${awsEndpoint} (AWS_ENDPOINT_URL)`);
  if (sqsEndpoint !== awsEndpoint) log.note('aws', `SQS calls go to ${sqsEndpoint} (AWS_ENDPOINT_URL_SQS)`);
  if (dynamoDbEndpoint !== awsEndpoint) {
    log.note('aws', `DynamoDB calls go to ${dynamoDbEndpoint} (AWS_ENDPOINT_URL_DYNAMODB)`);
  }
  return { awsEndpoint, sqsEndpoint, dynamoDbEndpoint, ...(moto ? { moto } : {}) };
}
