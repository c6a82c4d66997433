import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_CLOUDWATCH_ROLE_CONTEXT,
  createDeliveryApp,
  DEFAULT_STACK_NAME,
  type DeliveryApp,
  TABLE_REMOVAL_POLICY_CONTEXT,
} from '../../infra/delivery-app.js';
import { findingsOf, ORDERS_ROUTE, TEST_TARGET, testContext, userEnv } from './synth.js';

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

/** Every acknowledgement recorded with `Validations.of(construct).acknowledge` in the app. */
function acknowledgementsOf(app: IConstruct): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
          path: construct.node.path,
        })),
      ),
  );
}

/** Routes files for the variants that only a file can express (front door, table billing). */
const CONFIG_DIR = mkdtempSync(join(tmpdir(), 'gd-nag-config-'));
afterAll(() => rmSync(CONFIG_DIR, { recursive: true, force: true }));

function routesFile(name: string, shared: Record<string, unknown>): string {
  const path = join(CONFIG_DIR, `${name}.json`);
  writeFileSync(path, JSON.stringify({ routes: [{ ...ORDERS_ROUTE, target: TEST_TARGET }], ...shared }));
  return path;
}

const VARIANTS = {
  'API keys on (default)': { env: userEnv(), context: {} },
  'HTTP API with IAM authorization, provisioned tables': {
    env: userEnv({
      DELIVERY_CONFIG: routesFile('http-iam', {
        frontDoor: { type: 'http-api', authorization: { type: 'iam' } },
        tableBilling: {
          mode: 'provisioned',
          writeCapacity: { min: 5, max: 100 },
          readCapacity: { min: 1, max: 20 },
        },
      }),
    }),
    context: {},
  },
  'HTTP API with JWT authorization': {
    env: userEnv({
      DELIVERY_CONFIG: routesFile('http-jwt', {
        frontDoor: {
          type: 'http-api',
          authorization: {
            type: 'jwt',
            issuer: 'https://issuer.example.com',
            audience: ['delivery-clients'],
          },
        },
      }),
    }),
    context: {},
  },
  'ALARM_EMAIL set: an encrypted alarm topic the continuing-delivery state machines publish to': {
    env: userEnv({ ALARM_EMAIL: 'oncall@example.com' }),
    context: {},
  },
  'a route with a circuit breaker beside one without': {
    env: userEnv({
      DELIVERY_CONFIG: routesFile('breaker', {
        routes: [
          { ...ORDERS_ROUTE, target: TEST_TARGET, breaker: { failures: 5, probeSeconds: 30 } },
          { ...ORDERS_ROUTE, name: 'billing', path: '/billing/events', target: TEST_TARGET },
        ],
      }),
      ALARM_EMAIL: 'oncall@example.com',
    }),
    context: {},
  },
  // `cdk synth` where the CLI resolves a region (a profile or AWS_REGION): ARNs a construct builds
  // with stack.formatArn then hold the region itself, not a pseudo parameter.
  'bound to an account and region, a continuing-delivery route': {
    env: userEnv({ CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'us-east-1' }),
    context: {},
  },
  'API keys off, account CloudWatch role on': {
    env: userEnv({ API_KEY_REQUIRED: 'false' }),
    context: { [API_CLOUDWATCH_ROLE_CONTEXT]: 'true' },
  },
} as const;

describe.each(Object.entries(VARIANTS))(
  'cdk-nag AwsSolutions on the app `cdk synth` builds: %s',
  (_, variant) => {
    let built: DeliveryApp;

    beforeAll(() => {
      // Prepare: the real app (createDeliveryApp registers AwsSolutionsChecks), bundling skipped.
      built = createDeliveryApp(variant.env, { context: { ...testContext(), ...variant.context } });
    });

    it('reports no unacknowledged error and no unacknowledged warning', () => {
      // Act
      const findings = findingsOf(built.app);

      // Assess
      expect(findings.filter((finding) => finding.severity === 'error')).toEqual([]);
      expect(findings.filter((finding) => finding.severity === 'warning')).toEqual([]);
    });

    it('acknowledges only findings that exist, each on its own construct and with a real reason', () => {
      // Act
      const raw = findingsOf(built.app, { raw: true });
      const acknowledgements = acknowledgementsOf(built.app).filter((ack) =>
        ack.id.startsWith('AwsSolutions-'),
      );

      // Assess: the pack does find things here, and every acknowledgement answers one of them.
      expect(raw.length).toBeGreaterThan(0);
      expect(acknowledgements.length).toBeGreaterThan(0);
      for (const ack of acknowledgements) {
        const answered = raw.filter(
          (finding) => finding.rule === ack.id && finding.path.startsWith(`${ack.path}/`),
        );
        expect(answered, `stale acknowledgement ${ack.id} at ${ack.path}`).not.toEqual([]);
        expect(ack.reason.length, `reason of ${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
      }
    });
  },
);

describe('the app `cdk synth` builds (infra/app.ts)', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'gd-infra-app-'));
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('synthesizes through CDK validation with an empty AwsSolutions report and no nag annotations', () => {
    // Prepare
    const { app, stack } = createDeliveryApp(userEnv(), { context: testContext(), outdir });

    // Act
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations?: unknown[] }>;
    };

    // Assess
    expect(report.pluginReports.flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    expect(Annotations.fromStack(stack).findError('*', nag)).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', nag)).toEqual([]);
  });

  it("warns that the default route targets the reference's non-existent endpoint when CATERING_SERVICE_EP is unset", () => {
    // Act
    const { stack } = createDeliveryApp({}, { context: testContext() });

    // Assess
    Annotations.fromStack(stack).hasWarning(
      `/${DEFAULT_STACK_NAME}`,
      Match.stringLikeRegexp('CATERING_SERVICE_EP is not set.*http://www\\.urldoesnotexist\\.com'),
    );
  });

  it('does not warn about the endpoint once CATERING_SERVICE_EP is set', () => {
    // Act
    const { stack } = createDeliveryApp(userEnv(), { context: testContext() });

    // Assess
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('CATERING_SERVICE_EP'));
  });

  it('retains the tables unless the tableRemovalPolicy context says destroy', () => {
    // Act
    const retained = Template.fromStack(createDeliveryApp(userEnv(), { context: testContext() }).stack);
    const destroyed = Template.fromStack(
      createDeliveryApp(userEnv(), {
        context: { ...testContext(), [TABLE_REMOVAL_POLICY_CONTEXT]: 'destroy' },
      }).stack,
    );

    // Assess
    const policies = (template: Template) =>
      Object.values(template.findResources('AWS::DynamoDB::Table')).map((table) => table.DeletionPolicy);
    expect(policies(retained)).toEqual(['Retain', 'Retain']);
    expect(policies(destroyed)).toEqual(['Delete', 'Delete']);
  });

  it('rejects a tableRemovalPolicy context other than retain or destroy', () => {
    // Act
    const create = () =>
      createDeliveryApp(userEnv(), {
        context: { ...testContext(), [TABLE_REMOVAL_POLICY_CONTEXT]: 'snapshot' },
      });

    // Assess
    expect(create).toThrow("Context tableRemovalPolicy must be 'retain' or 'destroy', got 'snapshot'");
  });

  it('names the stack GuaranteedDelivery unless STACK_NAME says otherwise', () => {
    // Act
    const byDefault = createDeliveryApp(userEnv(), { context: testContext() }).stack;
    const renamed = createDeliveryApp(userEnv({ STACK_NAME: 'DeliveryStaging' }), {
      context: testContext(),
    }).stack;

    // Assess
    expect([byDefault.stackName, byDefault.node.id]).toEqual(['GuaranteedDelivery', 'GuaranteedDelivery']);
    expect([renamed.stackName, renamed.node.id]).toEqual(['DeliveryStaging', 'DeliveryStaging']);
  });
});
