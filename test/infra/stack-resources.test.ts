import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { archiverConfig } from '../../functions/archiver/archiver-config.js';
import { forwarderConfig } from '../../functions/forwarder/forwarder-config.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import { API_LOGGING } from '../../infra/guaranteed-delivery-outputs.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { ENV } from '../../shared/config/env-names.js';
import { routeTableOf } from '../../shared/config/route-document.js';
import { routeGroupOf } from '../../shared/config/route-groups.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { isRouteGroupOutputKey, routeGroupOutputKey } from '../../shared/config/stack-outputs.js';
import {
  DLQ_RETENTION_SECONDS,
  deliveryQueueSettings,
  forwarderTimeoutSeconds,
} from '../../shared/queues.js';
import { FAILOVER_TABLE, MESSAGE_TABLE } from '../../shared/tables.js';
import {
  configDocumentOf,
  environmentOf,
  idOf,
  resourcesOf,
  synthStack,
  TEST_TARGET,
  userEnv,
} from './synth.js';

/** A stand-in for the queue naming CloudFormation resolves: the stack's prefix in one account and region. */
const NAMING = { namePrefix: 'TestDelivery', urlBase: 'https://sqs.eu-west-1.amazonaws.com/111111111111/' };

/** A function's environment with every CloudFormation reference replaced by a readable stand-in. */
function _plainEnvironment(template: Template, functionId: string): Record<string, string> {
  const variables = environmentOf(template, functionId);
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : `resolved:${JSON.stringify(value)}`,
    ]),
  );
}

/** The property that fixes the physical name of each resource type that has one. */
const PHYSICAL_NAME_PROPERTY: Record<string, string> = {
  'AWS::SQS::Queue': 'QueueName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Events::Rule': 'Name',
  'AWS::KMS::Alias': 'AliasName',
};

/** What every bucket of the stack is: encrypted with S3-managed keys, no public access. */
const PRIVATE_ENCRYPTED = {
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
};

/** A bucket policy that denies every request without TLS (enforceSSL). */
const SSL_ONLY = {
  Statement: expect.arrayContaining([
    expect.objectContaining({
      Effect: 'Deny',
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }),
  ]),
};

/** A bucket's resource and its bucket policy, by the bucket's logical id. */
function bucketAndPolicy(template: Template, id: string) {
  const bucket = resourcesOf(template, 'AWS::S3::Bucket')[id];
  const policy = Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(
    (candidate) => (candidate.Properties.Bucket as { Ref: string }).Ref === id,
  );
  return { bucket, policy };
}

describe('GuaranteedDeliveryStack resources (default configuration)', () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let catering: DeliveryRoute;

  beforeAll(() => {
    // Prepare: one synth shared by every test of the file.
    ({ stack, template } = synthStack({ config: loadDeliveryConfig(userEnv()) }));
    catering = stack.routes[0] as DeliveryRoute;
  });

  describe('queues', () => {
    it('redrives the delivery queue to its fail-messages DLQ after maxAttempts receives', () => {
      // Act
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[idOf(catering.queue)];

      // Assess
      const settings = deliveryQueueSettings(catering.route);
      expect(queue?.Properties).toMatchObject({
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(catering.deadLetterQueue), 'Arn'] },
          maxReceiveCount: catering.route.maxAttempts,
        },
        VisibilityTimeout: settings.visibilityTimeoutSeconds,
        MessageRetentionPeriod: settings.retentionSeconds,
      });
      expect(catering.route.maxAttempts).toBe(4);
    });

    it('keeps dead letters 14 days, under the name the functions derive', () => {
      // Act
      const dlq = resourcesOf(template, 'AWS::SQS::Queue')[idOf(catering.deadLetterQueue)];

      // Assess
      expect(DLQ_RETENTION_SECONDS).toBe(1_209_600);
      expect(dlq?.Properties).toEqual({
        QueueName: 'TestDelivery_dlq_catering',
        MessageRetentionPeriod: DLQ_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
      });
    });

    it('fixes the physical names of the route queues and forwarder only (derived at run time), nothing else', () => {
      // Act: every resource whose type takes a physical name and is given one
      const resources = template.toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, unknown> }
      >;
      const named = Object.entries(resources).flatMap(([id, resource]) => {
        const property = PHYSICAL_NAME_PROPERTY[resource.Type];
        return property && resource.Properties?.[property] !== undefined ? [`${id}.${property}`] : [];
      });

      // Assess
      expect(named.sort()).toEqual(
        [
          `${idOf(catering.queue)}.QueueName`,
          `${idOf(catering.deadLetterQueue)}.QueueName`,
          `${idOf(catering.forwarderFunction)}.FunctionName`,
          `${idOf(stack.continuingDelivery?.stateMachineFor('catering') as IConstruct)}.StateMachineName`,
        ].sort(),
      );
    });

    it('encrypts every queue with SQS-managed keys', () => {
      // Act
      const queues = Object.values(resourcesOf(template, 'AWS::SQS::Queue'));

      // Assess
      expect(queues).toHaveLength(2);
      for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    });

    it('denies every request to either queue that does not use TLS', () => {
      // Act
      const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));

      // Assess
      const queueIds = policies.flatMap((p) =>
        (p.Properties.Queues as Array<{ Ref: string }>).map((q) => q.Ref),
      );
      expect(queueIds.sort()).toEqual([idOf(catering.queue), idOf(catering.deadLetterQueue)].sort());
      for (const policy of policies) {
        expect(policy.Properties.PolicyDocument).toMatchObject({
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        });
      }
    });
  });

  describe('forwarder event source', () => {
    it('reports partial batch failures with the route batch size, window and maximum concurrency', () => {
      // Act
      const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping'));

      // Assess
      expect(mappings).toHaveLength(1);
      expect(mappings[0]?.Properties).toEqual({
        EventSourceArn: { 'Fn::GetAtt': [idOf(catering.queue), 'Arn'] },
        FunctionName: { Ref: idOf(catering.forwarderFunction) },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 2 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('exposes the mapping whose id the CLI pauses and resumes', () => {
      // Act
      const id = idOf(catering.eventSourceMapping);

      // Assess
      expect(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')[id]).toBeDefined();
      // In its group's routes output (a JSON list, the mapping's id joined in).
      const groups = Object.entries(template.findOutputs('*')).filter(([key]) => isRouteGroupOutputKey(key));
      expect(groups).toHaveLength(1);
      expect(JSON.stringify(groups[0]?.[1].Value)).toContain(JSON.stringify({ Ref: id }));
    });
  });

  describe('drainer schedule', () => {
    it('runs the drainer every minute with the drain budget inside its timeout', () => {
      // Act
      const rule = resourcesOf(template, 'AWS::Events::Rule')[idOf(stack.drainSchedule)];
      const drainer = resourcesOf(template, 'AWS::Lambda::Function')[idOf(stack.drainerFunction)];

      // Assess
      expect(rule?.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': [idOf(stack.drainerFunction), 'Arn'] } }],
      });
      const budget = Number(configDocumentOf(template, idOf(stack.drainerFunction)).timeBudgetSeconds);
      expect(budget).toBe(50);
      expect(drainer?.Properties.Timeout).toBeGreaterThanOrEqual(budget + 15);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: idOf(stack.drainerFunction) },
        MaximumRetryAttempts: 0,
      });
    });
  });

  describe('tables', () => {
    it('keys the failover table by message id with the by-age index over shard and storedAt', () => {
      // Act
      const table = resourcesOf(template, 'AWS::DynamoDB::Table')[idOf(stack.failoverTable)];

      // Assess
      expect(table?.Properties).toMatchObject({
        KeySchema: [{ AttributeName: FAILOVER_TABLE.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'messageId', AttributeType: 'S' },
          { AttributeName: 'shard', AttributeType: 'S' },
          { AttributeName: 'storedAt', AttributeType: 'N' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-age',
            KeySchema: [
              { AttributeName: FAILOVER_TABLE.ageIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: FAILOVER_TABLE.ageIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('keys the message table by message id and route, and expires records through expiresAt', () => {
      // Act
      const table = resourcesOf(template, 'AWS::DynamoDB::Table')[idOf(stack.messageTable)];

      // Assess
      expect(table?.Properties).toMatchObject({
        KeySchema: [
          { AttributeName: MESSAGE_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: MESSAGE_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'messageId', AttributeType: 'S' },
          { AttributeName: 'route', AttributeType: 'S' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('encrypts both tables, keeps point-in-time recovery and retains them on stack deletion', () => {
      // Act
      const tables = Object.values(resourcesOf(template, 'AWS::DynamoDB::Table'));

      // Assess
      expect(tables).toHaveLength(2);
      for (const table of tables) {
        expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
        expect(table.Properties.PointInTimeRecoverySpecification).toEqual({
          PointInTimeRecoveryEnabled: true,
        });
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.UpdateReplacePolicy).toBe('Retain');
      }
    });
  });

  describe('functions', () => {
    it('runs every function on nodejs24.x, arm64, with source maps and no X-Ray unless TRACING=active', () => {
      // Act
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));

      // Assess
      expect(functions).toHaveLength(4); // ingest, forwarder, drainer, archiver
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 256,
          Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
        });
        expect(fn.Properties.TracingConfig).toBeUndefined();
      }
    });

    it('logs each function to its own log group kept one month', () => {
      // Act
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function'));
      const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');

      // Assess
      const used = functions.map(
        (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
      );
      expect(new Set(used).size).toBe(4);
      for (const id of used) {
        expect(logGroups[id]?.Properties.RetentionInDays).toBe(30);
        expect(logGroups[id]?.DeletionPolicy).toBe('Delete');
      }
    });

    it('gives the forwarder a timeout from the route and the queue six times that visibility', () => {
      // Act
      const forwarder = resourcesOf(template, 'AWS::Lambda::Function')[idOf(catering.forwarderFunction)];
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[idOf(catering.queue)];

      // Assess
      expect(forwarder?.Properties.Timeout).toBe(forwarderTimeoutSeconds(catering.route));
      expect(queue?.Properties.VisibilityTimeout).toBe(6 * forwarderTimeoutSeconds(catering.route));
    });

    it('gives every function one variable: its document, whose stack part names the tables and the queue naming', () => {
      // Act
      const ids = [stack.ingest.ingestFunction, catering.forwarderFunction, stack.drainerFunction].map(idOf);
      const documents = ids.map((id) => configDocumentOf(template, id));

      // Assess
      for (const id of ids) {
        expect(Object.keys(environmentOf(template, id)).sort()).toEqual([
          ENV.FUNCTION_CONFIG,
          'NODE_OPTIONS',
        ]);
      }
      for (const document of documents) {
        expect(document.stack).toEqual({
          failoverTable: `@Ref(${idOf(stack.failoverTable)})`,
          messageTable: `@Ref(${idOf(stack.messageTable)})`,
          recordRetentionSeconds: 30 * 86_400,
          queues: { namePrefix: 'TestDelivery', urlBase: 'https://sqs.@Region.@URLSuffix/@AccountId/' },
          logPayloads: false,
          payloadBucket: `@Ref(${idOf(stack.payloads.bucket)})`,
        });
      }
    });

    it('gives the forwarder its route as a document the forwarder reads back as the route', () => {
      // Act
      const document = configDocumentOf(template, idOf(catering.forwarderFunction));
      const config = forwarderConfig({
        ...document,
        stack: { ...(document.stack as object), queues: NAMING },
      });

      // Assess
      expect(config).toMatchObject({
        route: 'catering',
        targetUrl: TEST_TARGET,
        timeoutSeconds: catering.route.timeoutSeconds,
        maxAttempts: catering.route.maxAttempts,
        retry: catering.route.retry,
        queueUrl: `${NAMING.urlBase}TestDelivery_q_catering`,
        recordRetentionSeconds: 30 * 86_400,
      });
      expect([...config.nonRetryableStatuses]).toEqual(catering.route.nonRetryableStatuses);
    });

    it('names the queues and the forwarder from the stack and the route, as the functions derive them', () => {
      // Act
      const queues = resourcesOf(template, 'AWS::SQS::Queue');
      const forwarder = resourcesOf(template, 'AWS::Lambda::Function')[idOf(catering.forwarderFunction)];

      // Assess
      expect(queues[idOf(catering.queue)]?.Properties.QueueName).toBe('TestDelivery_q_catering');
      expect(queues[idOf(catering.deadLetterQueue)]?.Properties.QueueName).toBe('TestDelivery_dlq_catering');
      expect(forwarder?.Properties.FunctionName).toBe('TestDelivery_fwd_catering');
    });

    it('gives the drainer its time budget; its routes come from the route table in its asset', () => {
      // Act
      const document = configDocumentOf(template, idOf(stack.drainerFunction));

      // Assess
      expect(document.timeBudgetSeconds).toBe(50);
      expect(Object.keys(document).sort()).toEqual(['stack', 'timeBudgetSeconds']);
    });
  });

  describe('API', () => {
    it('proxies every path of every route to the one ingest through ANY /{proxy+}, with an API key', () => {
      // Act
      const methods = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method'));
      const resources = Object.values(resourcesOf(template, 'AWS::ApiGateway::Resource'));
      const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter(
        (permission) => permission.Properties.Principal === 'apigateway.amazonaws.com',
      );

      // Assess
      expect(methods).toHaveLength(1);
      expect(resources.map((resource) => resource.Properties.PathPart)).toEqual(['{proxy+}']);
      expect(methods[0]?.Properties).toMatchObject({
        HttpMethod: 'ANY',
        ApiKeyRequired: true,
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: {
            'Fn::Join': [
              '',
              expect.arrayContaining([{ 'Fn::GetAtt': [idOf(stack.ingest.ingestFunction), 'Arn'] }]),
            ],
          },
        },
      });
      // One permission for the whole API: the function's resource policy does not grow with routes.
      expect(permissions).toHaveLength(1);
    });

    it('serves stage v1 with JSON access logs and throttling, without tracing or detailed metrics by default', () => {
      // Act
      const stages = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage'));

      // Assess
      expect(stages).toHaveLength(1);
      expect(stages[0]?.Properties).toMatchObject({
        StageName: 'v1',
        TracingEnabled: false,
        AccessLogSetting: {
          DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'] },
          Format: expect.stringContaining('"requestId":"$context.requestId"'),
        },
        MethodSettings: [
          expect.objectContaining({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 100,
            ThrottlingBurstLimit: 200,
          }),
        ],
      });
    });

    it("sets and retains API Gateway's account CloudWatch role before the stage, so a first deploy needs no flag", () => {
      // Act
      const accounts = resourcesOf(template, 'AWS::ApiGateway::Account');
      const roles = resourcesOf(template, 'AWS::IAM::Role');
      const stage = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage'))[0] as unknown as {
        DependsOn?: string[];
      };

      // Assess: the stage's logging cannot be deployed before the account setting exists.
      const [accountId, account] = Object.entries(accounts)[0] ?? [];
      expect(Object.keys(accounts)).toHaveLength(1);
      expect(account?.DeletionPolicy).toBe('Retain');
      expect(stage.DependsOn).toContain(accountId);
      const roleArn = account?.Properties.CloudWatchRoleArn as { 'Fn::GetAtt': [string, string] };
      const roleId = roleArn['Fn::GetAtt'][0];
      expect(roles[roleId]?.DeletionPolicy).toBe('Retain');
      expect(template.toJSON().Outputs.ApiLogging.Value).toBe(API_LOGGING.ON);
    });

    it('names the API after the stack, so two stacks never share its metrics', () => {
      // Act
      const apis = Object.values(resourcesOf(template, 'AWS::ApiGateway::RestApi'));

      // Assess
      expect(apis.map((api) => api.Properties.Name)).toEqual([stack.stackName]);
      expect(stack.stackName).toBe('TestDelivery');
    });

    it('throttles and caps each key through a usage plan on the stage', () => {
      // Act
      const plans = Object.values(resourcesOf(template, 'AWS::ApiGateway::UsagePlan'));

      // Assess
      expect(plans).toHaveLength(1);
      expect(plans[0]?.Properties).toMatchObject({
        Throttle: { RateLimit: 50, BurstLimit: 100 },
        Quota: { Limit: 1_000_000, Period: 'DAY' },
        ApiStages: [
          {
            ApiId: { Ref: idOf(stack.api.restApi as IConstruct) },
            Stage: { Ref: idOf(stack.api.restStage as IConstruct) },
          },
        ],
      });
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
      template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    });
  });

  describe('outputs', () => {
    it('exports every value the CLI reads, under the agreed ids', () => {
      // Act
      const outputs = template.findOutputs('*');

      // Assess
      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining([
          'ApiUrl',
          'ApiKeyId',
          'FailoverTableName',
          'MessageTableName',
          'DrainerFunctionName',
          'IngestFunctionName',
          'ResourcePrefix',
          'QueueUrlBase',
          'ContinuingDeliveryArnPrefix',
          routeGroupOutputKey(routeGroupOf('catering')),
        ]),
      );
      // Nothing per route: one output a nested stack of routes.
      expect(Object.keys(outputs).filter((key) => key.startsWith('Catering'))).toEqual([]);
      const [apiKeyId] = Object.keys(resourcesOf(template, 'AWS::ApiGateway::ApiKey'));
      expect(outputs.ApiKeyId?.Value).toEqual({ Ref: apiKeyId });
      expect(outputs.FailoverTableName?.Value).toEqual({ Ref: idOf(stack.failoverTable) });
      expect(outputs.MessageTableName?.Value).toEqual({ Ref: idOf(stack.messageTable) });
      expect(outputs.DrainerFunctionName?.Value).toEqual({ Ref: idOf(stack.drainerFunction) });
      expect(outputs.IngestFunctionName?.Value).toEqual({ Ref: idOf(stack.ingest.ingestFunction) });
      expect(outputs.ResourcePrefix?.Value).toBe('TestDelivery');
      expect(outputs.ApiUrl?.Value['Fn::Join'][1]).toEqual(
        expect.arrayContaining([
          { Ref: idOf(stack.api.restApi as IConstruct) },
          { Ref: idOf(stack.api.restStage as IConstruct) },
        ]),
      );
    });
  });

  describe('operations', () => {
    it('alarms on every route (the essential two by default) and the failover backlog, and shows them on a dashboard', () => {
      // Act
      const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
      const outputs = template.findOutputs('*');

      // Assess: dead letters and the oldest message per route (ROUTE_ALARMS=essential) + the backlog
      // + drain over an hour
      expect(alarms).toHaveLength(4);
      expect(stack.monitoring.dashboard).toBeDefined();
      expect(outputs.DashboardName?.Value).toEqual({ Ref: idOf(stack.monitoring.dashboard) });
      // No ALARM_EMAIL in the default configuration: no topic to notify.
      expect(outputs.AlarmTopicArn).toBeUndefined();
    });

    it('deploys the continuing-delivery state machine per route, named from the prefix, without a schedule by default', () => {
      // Act
      const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
      const outputs = template.findOutputs('*');
      const [workflow] = stack.continuingDelivery?.routes ?? [];

      // Assess
      expect(Object.keys(machines)).toHaveLength(1);
      expect(workflow?.name).toBe('catering');
      expect(machines[idOf(workflow?.stateMachine as IConstruct)]?.Properties.StateMachineName).toBe(
        'TestDelivery_cd_catering',
      );
      expect(JSON.stringify(outputs.ContinuingDeliveryArnPrefix?.Value)).toContain(
        ':stateMachine:TestDelivery_cd_',
      );
      const schedules = Object.values(resourcesOf(template, 'AWS::Events::Rule'));
      expect(schedules).toHaveLength(2); // the drainer's and the archiver's
    });
  });

  describe('archive', () => {
    it('keeps delivery queues 7 days and DLQs 14, the SQS maximum, longer than their source queue as AWS advises', () => {
      // Act
      const queues = resourcesOf(template, 'AWS::SQS::Queue');

      // Assess
      expect(queues[idOf(catering.queue)]?.Properties.MessageRetentionPeriod).toBe(604_800);
      expect(queues[idOf(catering.deadLetterQueue)]?.Properties.MessageRetentionPeriod).toBe(1_209_600);
    });

    it('archives to a bucket that is encrypted, SSL-only, private, versioned and expires what it holds', () => {
      // Act
      const id = idOf(stack.archive.bucket);
      const { bucket, policy } = bucketAndPolicy(template, id);

      // Assess
      expect(bucket?.DeletionPolicy).toBe('Retain');
      expect(bucket?.Properties).toMatchObject({
        ...PRIVATE_ENCRYPTED,
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [
            {
              Status: 'Enabled',
              ExpirationInDays: 365,
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      });
      expect(policy?.Properties.PolicyDocument).toMatchObject(SSL_ONLY);
      expect(template.findOutputs('*').ArchiveBucketName?.Value).toEqual({ Ref: id });
    });

    it('keeps large bodies in a bucket that is encrypted, SSL-only, private, unversioned and expires them no sooner than the archive', () => {
      // Act
      const id = idOf(stack.payloads.bucket);
      const { bucket, policy } = bucketAndPolicy(template, id);

      // Assess
      expect(bucket?.DeletionPolicy).toBe('Retain');
      expect(bucket?.Properties).toMatchObject({
        ...PRIVATE_ENCRYPTED,
        // Records are kept 30 days by default, archived messages 365: a body outlives both.
        LifecycleConfiguration: {
          Rules: [
            {
              Status: 'Enabled',
              ExpirationInDays: 365,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      });
      expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
      expect(policy?.Properties.PolicyDocument).toMatchObject(SSL_ONLY);
      expect(template.findOutputs('*').PayloadBucketName?.Value).toEqual({ Ref: id });
    });

    it('runs the archiver hourly on both queues of each route, archiving 2 days before retention, with no extra alarm by default', () => {
      // Act
      const rule = resourcesOf(template, 'AWS::Events::Rule')[idOf(stack.archive.schedule)];
      const document = configDocumentOf(template, idOf(stack.archive.archiverFunction));
      const targets = archiverConfig(
        { ...document, stack: { ...(document.stack as object), queues: NAMING } },
        routeTableOf([catering.route]),
      ).targets;
      const alarms = stack.archive.alarms.map(
        (alarm) => resourcesOf(template, 'AWS::CloudWatch::Alarm')[idOf(alarm)]?.Properties,
      );

      // Assess
      expect(rule?.Properties.ScheduleExpression).toBe('rate(1 hour)');
      expect(targets).toEqual([
        {
          route: 'catering',
          source: 'delivery-queue',
          queueUrl: `${NAMING.urlBase}TestDelivery_q_catering`,
          archiveAfterSeconds: 5 * 86_400,
        },
        {
          route: 'catering',
          source: 'dead-letter-queue',
          queueUrl: `${NAMING.urlBase}TestDelivery_dlq_catering`,
          archiveAfterSeconds: 12 * 86_400,
          // CloudWatch's age of a standard DLQ's oldest message counts from its move, up to the
          // delivery queue's 7 days after it first arrived
          walkAfterSeconds: 5 * 86_400,
        },
      ]);
      // The "nearing retention" alarms come with ROUTE_ALARMS=all (the dead-letter and oldest-message
      // alarms fire long before); configuration.test.ts checks them.
      expect(alarms).toEqual([]);
    });
  });
});
