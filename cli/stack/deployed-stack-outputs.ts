import type { Output as StackOutput } from '@aws-sdk/client-cloudformation';
import {
  isRouteGroupOutputKey,
  parseRouteGroupOutput,
  STACK_OUTPUT,
} from '../../shared/config/stack-outputs.js';
import { describeError } from '../../shared/errors.js';
import { forwarderFunctionName, queueNames } from '../../shared/resource-names.js';
import { StackAccessError } from '../errors.js';
import type { RouteTarget } from './stack-target.js';

/**
 * What a deployed stack's CloudFormation outputs say (gd's contract with infra/), read into the
 * routes and names `gd` works with, and the advice for the errors of the first call to AWS.
 */

/** A route of a deployed stack, with the names of what serves it. */
export interface DeployedRoute extends RouteTarget {
  readonly forwarderFunctionName: string;
  readonly eventSourceMappingId: string;
  /** The route's continuing-delivery state machine, unless the stack was deployed with AUTO_REDRIVE=false. */
  readonly continuingDeliveryArn?: string;
}

/** What a deployed stack's CloudFormation outputs say (the contract with infra/). */
export interface DeployedStackOutputs {
  readonly apiUrl: string;
  readonly apiKeyId?: string;
  readonly failoverTableName: string;
  readonly messageTableName: string;
  readonly drainerFunctionName: string;
  /** Absent on a stack deployed before the archive existed. */
  readonly archiveBucketName?: string;
  /** Absent on a stack deployed before large bodies went by S3. */
  readonly payloadBucketName?: string;
  readonly routes: readonly DeployedRoute[];
}

/** Reads the outputs of a guaranteed-delivery stack; a missing key names the key and the stack. */
export function parseStackOutputs(stackName: string, outputs: readonly StackOutput[]): DeployedStackOutputs {
  const values = new Map(outputs.map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  const missing: string[] = [];
  const read = (key: string): string => {
    const value = values.get(key)?.trim();
    if (!value) missing.push(key);
    return value ?? '';
  };
  const optional = (key: string) => {
    const value = values.get(key)?.trim();
    return value ? value : undefined;
  };
  const prefix = read(STACK_OUTPUT.RESOURCE_PREFIX);
  const urlBase = read(STACK_OUTPUT.QUEUE_URL_BASE);
  const continuingDeliveryPrefix = optional(STACK_OUTPUT.CONTINUING_DELIVERY_ARN_PREFIX);
  const apiKeyId = optional(STACK_OUTPUT.API_KEY_ID);
  const archiveBucketName = optional(STACK_OUTPUT.ARCHIVE_BUCKET_NAME);
  const payloadBucketName = optional(STACK_OUTPUT.PAYLOAD_BUCKET_NAME);
  // One output a nested stack of routes; everything else of a route is derived from its name.
  const entries = [...values]
    .filter(([key]) => isRouteGroupOutputKey(key))
    .flatMap(([key, value]) => {
      const routes = parseRouteGroupOutput(value);
      if (!routes) {
        throw new StackAccessError(
          `stack ${stackName}'s output ${key} is not a list of routes (got ${JSON.stringify(value.slice(0, 80))}); redeploy it with \`npm run deploy\``,
        );
      }
      return routes;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  const parsed: DeployedStackOutputs = {
    apiUrl: read(STACK_OUTPUT.API_URL),
    ...(apiKeyId ? { apiKeyId } : {}),
    failoverTableName: read(STACK_OUTPUT.FAILOVER_TABLE_NAME),
    messageTableName: read(STACK_OUTPUT.MESSAGE_TABLE_NAME),
    drainerFunctionName: read(STACK_OUTPUT.DRAINER_FUNCTION_NAME),
    ...(archiveBucketName ? { archiveBucketName } : {}),
    ...(payloadBucketName ? { payloadBucketName } : {}),
    routes: entries.map((entry) => {
      const named = { name: entry.name, ...(entry.ordered ? { ordering: true } : {}) };
      const names = queueNames(prefix, named);
      return {
        name: entry.name,
        path: entry.path,
        queueUrl: `${urlBase}${names.deliveryQueue}`,
        dlqUrl: `${urlBase}${names.deadLetterQueue}`,
        forwarderFunctionName: forwarderFunctionName(prefix, named),
        eventSourceMappingId: entry.mapping,
        ...(entry.signingSecret ? { signingSecretId: entry.signingSecret } : {}),
        ...(continuingDeliveryPrefix
          ? { continuingDeliveryArn: `${continuingDeliveryPrefix}${entry.name}` }
          : {}),
        ...(entry.breaker ? { breaker: entry.breaker } : {}),
      };
    }),
  };
  if (missing.length > 0) {
    throw new StackAccessError(
      `stack ${stackName} lacks the output(s) ${missing.join(', ')}; is it a guaranteed-delivery ` +
        'stack, deployed from this version? Redeploy it with `npm run deploy`',
    );
  }
  return parsed;
}

/** Turns the errors of the first AWS call into advice; anything unexpected keeps its own message. */
export function explainAccessError(error: unknown, stackName: string, region: string): Error {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'ValidationError' && /does not exist/i.test(message)) {
    return new StackAccessError(
      `stack ${stackName} not found in region ${region}; deploy it with \`npm run deploy\` or pass --stack`,
      { cause: error },
    );
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new StackAccessError(
      'no AWS credentials found; set AWS_PROFILE (after `aws sso login` or `aws configure`) or ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --local for the local stack',
      { cause: error },
    );
  }
  if (/^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(name)) {
    return new StackAccessError('the AWS credentials have expired; renew them (e.g. `aws sso login`)', {
      cause: error,
    });
  }
  if (/^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|AccessDenied)/.test(name)) {
    return new StackAccessError(
      `AWS refused the credentials or the call (${describeError(error)}); check AWS_PROFILE and its permissions`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(message);
}
