import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import { createDeliveryApp } from '../../infra/delivery-app.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import {
  configDocumentOf,
  findingsOf,
  idOf,
  ORDERS_ROUTE,
  resourcesOf,
  synthStack,
  testContext,
  userEnv,
} from './synth.js';

const TOKEN_SECRET = 'orders/backend-token';
const COMPLETE_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/api-keys-AbC123';

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement, with the role it is attached to, that allows a Secrets Manager action. */
function secretStatements(template: Template): Array<{ role: string; actions: string[]; resource: string }> {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap((policy) => {
    const roles = (policy.Properties.Roles as Array<{ Ref: string }>).map((role) => role.Ref);
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    return statements
      .map((statement) => ({ actions: [statement.Action].flat(), resources: [statement.Resource].flat() }))
      .filter(({ actions }) => actions.some((action) => action.startsWith('secretsmanager:')))
      .flatMap(({ actions, resources }) =>
        roles.flatMap((role) =>
          resources.map((resource) => ({
            role,
            actions: actions.sort(),
            resource: JSON.stringify(resource),
          })),
        ),
      );
  });
}

describe('header values read from Secrets Manager (two routes, one with secret headers)', () => {
  let template: Template;
  let stack: ReturnType<typeof synthStack>['stack'];
  let withSecrets: DeliveryRoute;
  let plain: DeliveryRoute;

  beforeAll(() => {
    // Prepare: one route whose headers name a secret by name and one by complete ARN (twice), one route without.
    const config = loadDeliveryConfig(userEnv(), [
      {
        ...ORDERS_ROUTE,
        headers: {
          Authorization: { secret: TOKEN_SECRET, prefix: 'Bearer ' },
          'X-Api-Key': { secret: COMPLETE_ARN, field: 'key' },
          'X-Api-Key-Id': { secret: COMPLETE_ARN, field: 'id' },
          'X-Tenant': 'acme',
        },
      },
      { ...ORDERS_ROUTE, name: 'billing', path: '/billing/events', headers: { 'X-Tenant': 'acme' } },
    ]);
    ({ stack, template } = synthStack({ config }));
    [withSecrets, plain] = stack.routes as [DeliveryRoute, DeliveryRoute];
  });

  it("grants read on exactly the referenced secrets, to that route's forwarder only", () => {
    // Act
    const statements = secretStatements(template);

    // Assess: each secret once, read-only, on the forwarder of the route that names it.
    const forwarderRole = idOf(withSecrets.forwarderFunction.role ?? withSecrets.forwarderFunction);
    expect(new Set(statements.map((statement) => statement.role))).toEqual(new Set([forwarderRole]));
    expect(
      statements.every(
        (s) => s.actions.join() === 'secretsmanager:DescribeSecret,secretsmanager:GetSecretValue',
      ),
    ).toBe(true);
    const resources = statements.map((statement) => statement.resource).sort();
    expect(resources).toHaveLength(2);
    // A name grants its ARN with Secrets Manager's 6-character suffix; a complete ARN is granted as is.
    expect(resources[0]).toBe(JSON.stringify(COMPLETE_ARN));
    expect(resources[1]).toContain(`:secret:${TOKEN_SECRET}-??????`);
    expect(plain.forwarderFunction.role).toBeDefined();
  });

  it('puts only the references in the forwarder environment, creates no secret, and leaves the ingest without them', () => {
    // Act
    const forwarder = configDocumentOf(template, idOf(withSecrets.forwarderFunction)) as {
      route: { delivery: { headers: unknown } };
    };
    const ingest = JSON.stringify(configDocumentOf(template, idOf(stack.ingest.ingestFunction)));

    // Assess
    expect(forwarder.route.delivery.headers).toEqual({
      Authorization: { secret: TOKEN_SECRET, prefix: 'Bearer ' },
      'X-Api-Key': { secret: COMPLETE_ARN, field: 'key' },
      'X-Api-Key-Id': { secret: COMPLETE_ARN, field: 'id' },
      'X-Tenant': 'acme',
    });
    expect(ingest).not.toContain('X-Tenant');
    expect(Object.keys(resourcesOf(template, 'AWS::SecretsManager::Secret'))).toEqual([]);
  });

  it('keeps cdk-nag clean for a routes file whose headers name secrets', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'gd-header-secrets-'));
    try {
      const path = join(dir, 'routes.json');
      writeFileSync(
        path,
        JSON.stringify({
          routes: [
            {
              name: 'orders',
              path: '/orders/events',
              target: 'https://orders.example.com/events',
              headers: { Authorization: { secret: TOKEN_SECRET, prefix: 'Bearer ' } },
            },
          ],
        }),
      );

      // Act
      const built = createDeliveryApp({ DELIVERY_CONFIG: path }, { context: testContext() });

      // Assess
      expect(findingsOf(built.app)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
