import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { DEFAULT_OPERATIONS_CONFIG } from '../../shared/config/operations.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/** One statement of a resource policy as the template writes it (conditions resolved: the stack has an env). */
interface ResourceStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: '*' | { readonly AWS?: string | string[]; readonly Service?: string | string[] };
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** A publish request as SNS evaluates it against the topic policy. */
interface PublishRequest {
  readonly service: string;
  readonly secureTransport: boolean;
  readonly sourceAccount: string;
  readonly sourceArn: string;
}

/** A template value with the partition filled in and joins joined (other references kept as they are). */
function resolvePartition(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePartition);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if (object.Ref === 'AWS::Partition') return 'aws';
  const join = object['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) {
    const parts = join[1].map(resolvePartition);
    if (parts.every((part) => typeof part === 'string')) return parts.join(join[0]);
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolvePartition(inner)]));
}

/** A policy document's statements, partition resolved. */
function statementsOf(document: unknown): ResourceStatement[] {
  return (resolvePartition(document) as { Statement: ResourceStatement[] }).Statement;
}

/** IAM's string wildcards: `*` any run of characters, `?` one. */
function wildcard(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${regex}$`, 'i').test(value);
}

/** The conditions SNS checks for a service's publish; an operator this evaluator does not know fails the match. */
function conditionsHold(condition: ResourceStatement['Condition'], request: PublishRequest): boolean {
  const keys: Record<string, string> = {
    'aws:sourceaccount': request.sourceAccount,
    'aws:sourcearn': request.sourceArn,
    'aws:securetransport': String(request.secureTransport),
  };
  return Object.entries(condition ?? {}).every(([operator, tests]) =>
    Object.entries(tests).every(([key, expected]) => {
      const actual = keys[key.toLowerCase()];
      if (actual === undefined) return false;
      const values = [expected].flat();
      if (operator === 'StringEquals' || operator === 'ArnEquals' || operator === 'Bool')
        return values.includes(actual);
      if (operator === 'StringLike' || operator === 'ArnLike')
        return values.some((pattern) => wildcard(pattern, actual));
      return false;
    }),
  );
}

/** Whether the statement is about `sns:Publish` by this service principal on the topic. */
function applies(statement: ResourceStatement, request: PublishRequest, topicId: string): boolean {
  const principal = statement.Principal;
  const principalMatches =
    principal === '*' ||
    [principal.AWS ?? []].flat().includes('*') ||
    [principal.Service ?? []].flat().includes(request.service);
  const actionMatches = [statement.Action].flat().some((action) => wildcard(action, 'sns:Publish'));
  const resourceMatches = [statement.Resource]
    .flat()
    .some((resource) => resource === '*' || JSON.stringify(resource) === JSON.stringify({ Ref: topicId }));
  return principalMatches && actionMatches && resourceMatches;
}

/** IAM's rule for a resource policy on its own: an explicit deny wins, else an allow is needed. */
function topicPolicyAllows(
  statements: readonly ResourceStatement[],
  request: PublishRequest,
  topicId: string,
) {
  const matching = statements.filter(
    (statement) => applies(statement, request, topicId) && conditionsHold(statement.Condition, request),
  );
  return !matching.some((s) => s.Effect === 'Deny') && matching.some((s) => s.Effect === 'Allow');
}

describe('the alarm topic (ALARM_EMAIL set)', () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let statements: ResourceStatement[];
  let topicId: string;

  beforeAll(() => {
    // Prepare: two routes (one with a circuit breaker: its alarm publishes too), an email, a real account.
    ({ stack, template } = synthStack({
      env: { account: ACCOUNT, region: REGION },
      config: loadDeliveryConfig(userEnv(), [
        ORDERS_ROUTE,
        {
          ...ORDERS_ROUTE,
          name: 'billing',
          path: '/billing/events',
          breaker: { failures: 3, probeSeconds: 60 },
        },
      ]),
      // Every alarm a route can have (ROUTE_ALARMS=all), the breaker's included.
      operations: {
        ...DEFAULT_OPERATIONS_CONFIG,
        alarmEmail: 'oncall@example.com',
        cost: { ...DEFAULT_OPERATIONS_CONFIG.cost, routeAlarms: 'all' },
      },
    }));
    topicId = idOf(stack.monitoring.alarmTopic as never);
    const policies = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).filter((policy) =>
      JSON.stringify(policy.Properties.Topics).includes(topicId),
    );
    // A topic policy replaces SNS's default one (which let the account's principals publish): it
    // alone decides what a service such as CloudWatch may do.
    expect(policies).toHaveLength(1);
    statements = statementsOf(policies[0]?.Properties.PolicyDocument);
  });

  it("lets this account's CloudWatch alarms publish to it, over TLS", () => {
    // Act
    const alarmPublish = {
      service: 'cloudwatch.amazonaws.com',
      secureTransport: true,
      sourceAccount: ACCOUNT,
      sourceArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:TestDelivery-MonitoringOrderEventsDeadLetters-1A2B3C`,
    };

    // Assess: every alarm of the stack notifies this topic, and the topic lets their publish in
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(topicPolicyAllows(statements, alarmPublish, topicId)).toBe(true);
    expect(topicPolicyAllows(statements, { ...alarmPublish, secureTransport: false }, topicId)).toBe(false);
  });

  it("rejects a CloudWatch publish on behalf of another account's alarm (confused deputy)", () => {
    // Act
    const foreign = {
      service: 'cloudwatch.amazonaws.com',
      secureTransport: true,
      sourceAccount: '444455556666',
      sourceArn: `arn:aws:cloudwatch:${REGION}:444455556666:alarm:Anything`,
    };

    // Assess
    expect(topicPolicyAllows(statements, foreign, topicId)).toBe(false);
    expect(
      topicPolicyAllows(
        statements,
        { ...foreign, sourceAccount: ACCOUNT, sourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/x` },
        topicId,
      ),
    ).toBe(false);
  });

  it("lets the alarms' service encrypt with the topic's key for this account's alarms only", () => {
    // Act
    const key = Object.values(resourcesOf(template, 'AWS::KMS::Key')).find((k) =>
      JSON.stringify(k.Properties.KeyPolicy).includes('cloudwatch.amazonaws.com'),
    );
    const cloudWatch = statementsOf(key?.Properties.KeyPolicy).find((s) =>
      JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'),
    );

    // Assess
    expect(cloudWatch?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` },
    });
  });
});
