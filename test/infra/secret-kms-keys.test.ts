import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { configDocumentOf, idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

const REGION = 'eu-west-1';
const HEADER_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SIGNING_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement that allows a KMS action, with the roles its policy is attached to. */
function kmsStatements(template: Template): Array<Statement & { roles: string[] }> {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('kms:')),
    ).map((statement) => ({
      ...statement,
      roles: (policy.Properties.Roles as Array<{ Ref: string }>).map((role) => role.Ref),
    })),
  );
}

describe('secrets encrypted with a customer-managed KMS key (kmsKey in the routes file)', () => {
  let template: Template;
  let route: DeliveryRoute;

  beforeAll(() => {
    // Prepare: a header secret and an existing signing secret, each encrypted with its own key.
    const config = loadDeliveryConfig(userEnv(), [
      {
        ...ORDERS_ROUTE,
        headers: { Authorization: { secret: 'orders/backend-token', prefix: 'Bearer ', kmsKey: HEADER_KEY } },
        signing: { secret: 'orders/signing', kmsKey: SIGNING_KEY },
      },
      { ...ORDERS_ROUTE, name: 'billing', path: '/billing/events' },
    ]);
    let stack: { routes: readonly DeliveryRoute[] };
    ({ stack, template } = synthStack({ env: { account: '123456789012', region: REGION }, config }));
    route = stack.routes[0] as DeliveryRoute;
  });

  it("lets that route's forwarder alone decrypt with each key, and only through Secrets Manager", () => {
    // Act
    const statements = kmsStatements(template);

    // Assess: kms:Decrypt on exactly the two keys, conditioned on kms:ViaService, for one role
    const forwarderRole = idOf(route.forwarderFunction.role as never);
    expect(statements.map((statement) => statement.roles)).toEqual(statements.map(() => [forwarderRole]));
    const granted = statements.flatMap((statement) =>
      [statement.Resource].flat().map((resource) => ({
        actions: [statement.Action].flat(),
        resource,
        condition: statement.Condition,
      })),
    );
    expect(granted).toEqual(
      expect.arrayContaining(
        [HEADER_KEY, SIGNING_KEY].map((resource) => ({
          actions: ['kms:Decrypt'],
          resource,
          condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
        })),
      ),
    );
    expect(granted).toHaveLength(2);
  });

  it("keeps the key out of the forwarder's document (the forwarder never calls KMS itself)", () => {
    // Act
    const document = configDocumentOf(template, idOf(route.forwarderFunction)) as {
      route: { delivery: { headers: unknown } };
    };

    // Assess
    expect(document.route.delivery.headers).toEqual({
      Authorization: { secret: 'orders/backend-token', prefix: 'Bearer ' },
    });
  });

  it('fails for a key given as an alias, or a signing key without an existing secret', () => {
    // Act / Assess
    expect(() =>
      loadDeliveryConfig(userEnv(), [
        {
          ...ORDERS_ROUTE,
          headers: { 'X-Key': { secret: 'k', kmsKey: 'arn:aws:kms:eu-west-1:123456789012:alias/orders' } },
        },
      ]),
    ).toThrow(/headers.X-Key.kmsKey: use the ARN of a KMS key/);
    expect(() =>
      loadDeliveryConfig(userEnv(), [{ ...ORDERS_ROUTE, signing: { kmsKey: SIGNING_KEY } }]),
    ).toThrow(/signing.kmsKey: .*existing secret/);
  });
});
