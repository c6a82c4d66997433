import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeliveryApi } from '../../infra/constructs/delivery-api.js';
import { STACK_DEFAULTS } from '../../infra/guaranteed-delivery-props.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import type { FrontDoorConfig, TableBillingConfig } from '../../shared/config/front-door.js';
import { type DeliveryConfig, loadDeliveryConfig } from '../../shared/config/routes.js';
import { ConfigurationError } from '../../shared/errors.js';
import { idOf, resourcesOf, synthStack, testContext, userEnv } from './synth.js';

const PROVISIONED: TableBillingConfig = {
  mode: 'provisioned',
  writeCapacity: { min: 5, max: 100 },
  readCapacity: { min: 2, max: 20 },
  targetUtilizationPercent: 70,
};

function configWith(overrides: Partial<DeliveryConfig>): DeliveryConfig {
  return { ...loadDeliveryConfig(userEnv()), ...overrides };
}

function synth(overrides: Partial<DeliveryConfig>) {
  return synthStack({ config: configWith(overrides), tableRemovalPolicy: RemovalPolicy.DESTROY });
}

describe('front door', () => {
  it('is a REST API with API keys by default, and says so in the FrontDoor output', () => {
    // Act
    const { stack, template } = synth({});

    // Assess
    expect(stack.api.frontDoor).toEqual({ type: 'rest' });
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    expect(template.findOutputs('FrontDoor').FrontDoor?.Value).toBe('rest');
  });

  describe('HTTP API with IAM authorization', () => {
    let stack: GuaranteedDeliveryStack;
    let template: Template;

    beforeAll(() => {
      // Prepare
      ({ stack, template } = synth({
        frontDoor: { type: 'http-api', authorization: { type: 'iam' } },
        apiKeyRequired: true,
      }));
    });

    it('serves the ingest paths and the status lookup, SigV4-authorized, through payload format 1.0 to the one ingest', () => {
      // Act
      const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
      const integrations = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Integration'));
      const [_catering] = stack.routes;

      // Assess
      template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      expect(routes.map((route) => route.Properties.RouteKey)).toEqual(['ANY /{proxy+}']);
      for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(integrations).toHaveLength(1);
      expect(integrations[0]?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '1.0',
        IntegrationUri: { 'Fn::GetAtt': [idOf(stack.ingest.ingestFunction), 'Arn'] },
      });
    });

    it('has no API keys or usage plans (an HTTP API has none), even with apiKeyRequired', () => {
      // Assess
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
      expect(template.findOutputs('ApiKeyId')).toEqual({});
    });

    it('logs access and throttles its v1 stage, and outputs its URL and front door', () => {
      // Act
      const outputs = template.findOutputs('*');

      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: 'v1',
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
        DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
      });
      expect(outputs.FrontDoor?.Value).toBe('http-api');
      expect(JSON.stringify(outputs.ApiUrl?.Value)).toMatch(/execute-api.*\/v1\//);
    });
  });

  it('authorizes HTTP API routes with a JWT authorizer for the configured issuer and audience', () => {
    // Act
    const { template } = synth({
      frontDoor: {
        type: 'http-api',
        authorization: { type: 'jwt', issuer: 'https://issuer.example.com/', audience: ['delivery'] },
      },
    });

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['delivery'] },
    });
    const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
    expect(routes.map((route) => route.Properties.AuthorizationType)).toEqual(['JWT']);
  });

  it.each<[string, FrontDoorConfig, RegExp]>([
    [
      'an issuer that is not https',
      {
        type: 'http-api',
        authorization: { type: 'jwt', issuer: 'http://issuer.example.com', audience: ['a'] },
      },
      /issuer must be the https:\/\/ URL .*got 'http:\/\/issuer\.example\.com'/,
    ],
    [
      'no audience',
      {
        type: 'http-api',
        authorization: { type: 'jwt', issuer: 'https://issuer.example.com', audience: [] },
      },
      /audience must list at least one audience/,
    ],
  ])('fails on a JWT front door with %s', (_name, frontDoor, message) => {
    // Prepare
    const stack = new Stack(new App({ context: testContext() }), 'FrontDoorScaffold');

    // Act
    const create = () =>
      new DeliveryApi(stack, 'Api', {
        frontDoor,
        apiKeyRequired: false,
        stageThrottle: STACK_DEFAULTS.stageThrottle,
        logRetention: STACK_DEFAULTS.logRetention,
      });

    // Assess
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(message);
  });
});

describe('table billing', () => {
  it('bills both tables per request by default', () => {
    // Act
    const { template } = synth({});

    // Assess
    const tables = Object.values(resourcesOf(template, 'AWS::DynamoDB::Table'));
    expect(tables.map((table) => table.Properties.BillingMode)).toEqual([
      'PAY_PER_REQUEST',
      'PAY_PER_REQUEST',
    ]);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  it('provisions both tables and the failover index at the minimum, auto scaled to the target utilization', () => {
    // Act
    const { stack, template } = synth({ tableBilling: PROVISIONED });

    // Assess
    const tables = resourcesOf(template, 'AWS::DynamoDB::Table');
    const failover = tables[idOf(stack.failoverTable)]?.Properties;
    expect(failover).toMatchObject({
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 5 },
      GlobalSecondaryIndexes: [
        expect.objectContaining({ ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 5 } }),
      ],
    });
    expect(failover?.BillingMode).toBeUndefined();
    expect(tables[idOf(stack.messageTable)]?.Properties).toMatchObject({
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 5 },
    });
    const targets = Object.values(resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalableTarget'));
    // Failover table: reads, writes, index reads, index writes; message table: reads, writes.
    expect(targets).toHaveLength(6);
    expect(
      targets.map((t) => [
        t.Properties.ScalableDimension,
        t.Properties.MinCapacity,
        t.Properties.MaxCapacity,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['dynamodb:table:WriteCapacityUnits', 5, 100],
        ['dynamodb:table:ReadCapacityUnits', 2, 20],
        ['dynamodb:index:WriteCapacityUnits', 5, 100],
      ]),
    );
    const policies = Object.values(resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(policies).toHaveLength(6);
    for (const policy of policies) {
      expect(policy.Properties).toMatchObject({
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: expect.objectContaining({ TargetValue: 70 }),
      });
    }
  });

  it('fails on a provisioned range whose max is below its min, naming the field and value', () => {
    // Act
    const create = () => synth({ tableBilling: { ...PROVISIONED, writeCapacity: { min: 10, max: 5 } } });

    // Assess
    expect(create).toThrow(
      /tableBilling\.writeCapacity must be whole numbers with 1 <= min <= max, got \{"min":10,"max":5\}/,
    );
  });
});
