// Over 300 lines: the stack wires its parts in the order they depend on one another (tables, API,
// ingest, the nested stacks of routes, drainer, monitoring, continuing delivery, archive, operator
// policies), each built in infra/constructs/; its props and outputs are apart.
import {
  type Acknowledgment,
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StackBindings } from '../shared/config/function-config.js';
import { DEFAULT_OPERATIONS_CONFIG } from '../shared/config/operations.js';
import { ROUTE_GROUP_COUNT, routeGroupId, routeGroupOf } from '../shared/config/route-groups.js';
import { routeOutputPrefix } from '../shared/config/route-output-prefix.js';
import { STACK_OUTPUT } from '../shared/config/stack-outputs.js';
import { ConfigurationError } from '../shared/errors.js';
import { resourcePrefix } from '../shared/resource-names.js';
import { FAILOVER_TABLE, MESSAGE_TABLE } from '../shared/tables.js';
import { ContinuingDelivery } from './constructs/continuing-delivery.js';
import { definedOnly } from './constructs/defined-props.js';
import { DeliveryApi } from './constructs/delivery-api.js';
import { type DeliveryFunction, TRACING_CONTEXT } from './constructs/delivery-function.js';
import { DeliveryIngest } from './constructs/delivery-ingest.js';
import { DeliveryMonitoring } from './constructs/delivery-monitoring.js';
import type { DeliveryRoute } from './constructs/delivery-route.js';
import { addFailoverDrainer, drainTimeBudget, validateDrainInterval } from './constructs/failover-drainer.js';
import { ARCHIVE_EXPIRATION_DAYS, MessageArchive } from './constructs/message-archive.js';
import { OperatorPolicies } from './constructs/operator-policies.js';
import { PayloadBucket } from './constructs/payload-bucket.js';
import { RouteGroup } from './constructs/route-group.js';
import { autoScaleTable, tableCapacity, validateTableBilling } from './constructs/table-billing.js';
import { addStackOutputs } from './guaranteed-delivery-outputs.js';
import {
  type GuaranteedDeliveryStackProps,
  STACK_DEFAULTS,
  type StackSettings,
} from './guaranteed-delivery-props.js';

export { API_STAGE_NAME } from './constructs/delivery-api.js';

/**
 * The guaranteed-delivery service (the README's flow): a REST API, one {@link DeliveryRoute} per
 * configured route, the failover table and its scheduled drainer, and the message table (status records).
 */
export class GuaranteedDeliveryStack extends Stack {
  /** The front door (REST API or HTTP API); each route adds `POST <path>` and `POST <path>/batch`. */
  public readonly api: DeliveryApi;
  /** Messages the ingest could not put into SQS, waiting for the drainer. */
  public readonly failoverTable: Table;
  /**
   * One status record per message and route: written by the ingest, each attempt, the
   * dead-lettering and the drainer, read by the lookup; the forwarders' idempotency record too.
   */
  public readonly messageTable: Table;
  /** Bodies over the claim-check threshold, one object each, under their route's prefix. */
  public readonly payloads: PayloadBucket;
  /** One per configured route, in configuration order. */
  public readonly routes: readonly DeliveryRoute[];
  /** The nested stacks of routes, by group number (shared/config/route-groups.ts); empty groups absent. */
  public readonly routeGroups: ReadonlyMap<number, RouteGroup>;
  /** The one ingest of every route, behind the API's `/{proxy+}` resource. */
  public readonly ingest: DeliveryIngest;
  /** The log group every route's forwarder writes to. */
  public readonly forwarderLogGroup: LogGroup;
  /** Start of the derived names of the routes' queues and forwarders (shared/resource-names.ts). */
  public readonly namePrefix: string;
  /** What a queue's URL starts with: `https://sqs.<region>.<domain>/<account>/`. */
  public readonly queueUrlBase: string;
  /** Moves failover items back to their routes' queues. */
  public readonly drainerFunction: DeliveryFunction;
  /** The drainer's EventBridge schedule. */
  public readonly drainSchedule: Rule;
  /** Alarms (with the optional SNS topic) and the dashboard. */
  public readonly monitoring: DeliveryMonitoring;
  /** Messages nearing SQS retention, archived to S3 by a scheduled function. */
  public readonly archive: MessageArchive;
  /** "Keep trying until delivered": one DLQ-redrive state machine per route, unless AUTO_REDRIVE=false. */
  public readonly continuingDelivery?: ContinuingDelivery;
  /** What the operator's CLI (`gd`) needs, as managed policies to attach to operators' roles. */
  public readonly operatorPolicies: OperatorPolicies;

  constructor(scope: Construct, id: string, props: GuaranteedDeliveryStackProps) {
    // Validation first: a bad configuration fails before anything joins the app.
    const settings: StackSettings = { ...STACK_DEFAULTS, ...definedOnly(props), config: props.config };
    const { config } = props;
    const drainInterval = validateDrainInterval(config.drainIntervalSeconds);
    const drainBudget = drainTimeBudget(settings.drainTimeBudgetSeconds, drainInterval);
    const outputIds = config.routes.map((route) => routeOutputPrefix(route.name));
    const clash = outputIds.find((name, index) => outputIds.indexOf(name) !== index);
    if (clash !== undefined) {
      throw new ConfigurationError(
        `Route names ${config.routes.map((r) => `'${r.name}'`).join(', ')} give the same output prefix '${clash}'; rename one`,
      );
    }

    super(scope, id, props);
    const operations = props.operations ?? DEFAULT_OPERATIONS_CONFIG;
    // Before any function joins the stack: every DeliveryFunction reads it (operations' TRACING).
    this.node.setContext(TRACING_CONTEXT, operations.cost.tracing);

    this.api = new DeliveryApi(this, 'Api', {
      detailedMetrics: operations.cost.apiDetailedMetrics,
      tracing: operations.cost.tracing,
      frontDoor: config.frontDoor,
      apiKeyRequired: config.apiKeyRequired,
      stageThrottle: settings.stageThrottle,
      logRetention: settings.logRetention,
      apiCloudWatchRole: settings.apiCloudWatchRole,
    });
    const restApi = this.api.restApi;
    let apiKeyId: string | undefined;
    // API keys and usage plans exist on the REST front door only; an HTTP API authorizes by IAM or JWT.
    if (restApi && config.apiKeyRequired) {
      const plan = restApi.addUsagePlan('UsagePlan', {
        description: 'Per-client throttling and quota of the delivery API',
        throttle: settings.usagePlanThrottle,
        quota: settings.usagePlanQuota,
        apiStages: [{ api: restApi, stage: restApi.deploymentStage }],
      });
      const apiKey = restApi.addApiKey('ApiKey', { description: 'Default client key of the delivery API' });
      plan.addApiKey(apiKey);
      apiKeyId = apiKey.keyId;
      new CfnOutput(this, STACK_OUTPUT.API_KEY_ID, {
        value: apiKey.keyId,
        description: 'Id of the API key (aws apigateway get-api-key --include-value --api-key <id>)',
      });
    }

    const billing = validateTableBilling(config.tableBilling);
    this.failoverTable = new Table(this, 'FailoverTable', {
      partitionKey: { name: FAILOVER_TABLE.partitionKey, type: AttributeType.STRING },
      ...tableCapacity(billing),
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: settings.tableRemovalPolicy,
    });
    const { billingMode: _tableMode, ...indexCapacity } = tableCapacity(billing);
    this.failoverTable.addGlobalSecondaryIndex({
      ...indexCapacity,
      indexName: FAILOVER_TABLE.ageIndex.name,
      partitionKey: { name: FAILOVER_TABLE.ageIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: FAILOVER_TABLE.ageIndex.sortKey, type: AttributeType.NUMBER },
      // The drainer rebuilds whole messages from the index alone.
      projectionType: ProjectionType.ALL,
    });
    autoScaleTable(this.failoverTable, billing, [FAILOVER_TABLE.ageIndex.name]);

    this.messageTable = new Table(this, 'MessageTable', {
      partitionKey: { name: MESSAGE_TABLE.partitionKey, type: AttributeType.STRING },
      // Ids are per route: the same id on two routes is two messages, two records.
      sortKey: { name: MESSAGE_TABLE.sortKey, type: AttributeType.STRING },
      // Records expire a configurable time after their last write (recordRetentionDays).
      timeToLiveAttribute: MESSAGE_TABLE.ttlAttribute,
      ...tableCapacity(billing),
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: settings.tableRemovalPolicy,
    });
    autoScaleTable(this.messageTable, billing);

    // A large body is kept as long as anything may refer to it: its status record, or an archived
    // message that `gd redrive --from-archive` may still restore.
    this.payloads = new PayloadBucket(this, 'Payloads', {
      expirationDays: Math.max(config.recordRetentionDays, ARCHIVE_EXPIRATION_DAYS),
      recordRetentionDays: config.recordRetentionDays,
    });
    // What every function is told: the tables, and how the routes' queues are named and reached
    // (each function derives a route's queue URL from its name: nothing here grows with the routes).
    this.namePrefix = resourcePrefix(this.stackName);
    this.queueUrlBase = `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/`;
    const bindings: StackBindings = {
      failoverTable: this.failoverTable.tableName,
      messageTable: this.messageTable.tableName,
      recordRetentionSeconds: config.recordRetentionDays * 86_400,
      queues: {
        namePrefix: this.namePrefix,
        urlBase: this.queueUrlBase,
      },
      logPayloads: false,
      payloadBucket: this.payloads.bucket.bucketName,
    };
    this.ingest = new DeliveryIngest(this, 'Ingest', {
      routes: config.routes,
      api: this.api,
      bindings,
      namePrefix: this.namePrefix,
      failoverTable: this.failoverTable,
      messageTable: this.messageTable,
      payloads: this.payloads,
    });
    // One log group for every forwarder: its streams carry each function's name.
    this.forwarderLogGroup = new LogGroup(this, 'ForwarderLogs', {
      retention: settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The routes in nested stacks, each in the group its name gives it (docs/scaling.md).
    const groups = new Map<number, RouteGroup>();
    for (let group = 0; group < ROUTE_GROUP_COUNT; group++) {
      const members = config.routes.filter((route) => routeGroupOf(route.name) === group);
      if (members.length === 0) continue;
      groups.set(
        group,
        new RouteGroup(this, routeGroupId(group), {
          routes: members,
          bindings,
          namePrefix: this.namePrefix,
          messageTable: this.messageTable,
          payloads: this.payloads,
          forwarderLogGroup: this.forwarderLogGroup,
          queueRetention: Duration.seconds(operations.retention.queueRetentionSeconds),
        }),
      );
    }
    this.routeGroups = groups;
    const byName = new Map(
      [...groups.values()].flatMap((group) => group.routes.map((r) => [r.route.name, r])),
    );
    this.routes = config.routes.map((route) => byName.get(route.name) as DeliveryRoute);

    const drainer = addFailoverDrainer(this, {
      failoverTable: this.failoverTable,
      messageTable: this.messageTable,
      bindings,
      namePrefix: this.namePrefix,
      routes: config.routes,
      intervalSeconds: drainInterval,
      timeBudgetSeconds: drainBudget,
      ...(settings.drainConcurrency === undefined ? {} : { concurrency: settings.drainConcurrency }),
    });
    this.drainerFunction = drainer.drainerFunction;
    this.drainSchedule = drainer.drainSchedule;

    this.monitoring = new DeliveryMonitoring(this, 'Monitoring', {
      routes: this.routes,
      apiStage: this.api.restStage,
      routeAlarms: operations.cost.routeAlarms,
      namePrefix: this.namePrefix,
      drainerFunction: this.drainerFunction,
      alarmEmail: operations.alarmEmail,
      oldestMessageAgeThreshold: Duration.seconds(operations.oldestMessageAlarmSeconds),
    });
    const redrive = operations.continuingDelivery;
    if (redrive.enabled) {
      this.continuingDelivery = new ContinuingDelivery(this, 'ContinuingDelivery', {
        routes: this.routes,
        initialWait: Duration.seconds(redrive.initialWaitSeconds),
        maxWait: Duration.seconds(redrive.maxWaitSeconds),
        maxRounds: redrive.maxRounds,
        schedule:
          redrive.scheduleMinutes === undefined
            ? undefined
            : Schedule.rate(Duration.minutes(redrive.scheduleMinutes)),
        notificationTopic: this.monitoring.alarmTopic,
        namePrefix: this.namePrefix,
        tracing: operations.cost.tracing,
      });
    }

    this.archive = new MessageArchive(this, 'Archive', {
      routes: this.routes,
      bindings,
      namePrefix: this.namePrefix,
      retention: operations.retention,
      alarmTopic: this.monitoring.alarmTopic,
      retentionAlarms: operations.cost.routeAlarms === 'all',
    });

    this.operatorPolicies = new OperatorPolicies(this, 'Operator', {
      routes: this.routes,
      namePrefix: this.namePrefix,
      messageTable: this.messageTable,
      failoverTable: this.failoverTable,
      drainerFunction: this.drainerFunction,
      archiveBucket: this.archive.bucket,
      payloadBucket: this.payloads.bucket,
      ...(this.continuingDelivery ? { continuingDelivery: this.continuingDelivery } : {}),
      ...(apiKeyId ? { apiKeyId } : {}),
    });

    addStackOutputs(this, settings.apiCloudWatchRole);
    this.addNagAcknowledgements(settings.apiCloudWatchRole);
  }

  /** Each acknowledged cdk-nag finding with why it does not apply or is accepted. */
  private addNagAcknowledgements(apiCloudWatchRole: boolean): void {
    // These findings are about REST APIs (validators, WAF, execution logs); an HTTP API raises none.
    if (!this.api.restApi) return;
    const apiFindings: Acknowledgment[] = [
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'The ingest validates bodies itself to answer 400/413/415 with details (docs/http-contract.md); an API Gateway validator would answer first in its own format.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL by default: the API takes only POSTs to configured paths, throttled per stage and per key; a web ACL costs per month and its rules depend on the deployment, so attach one where exposure needs it.',
      },
    ];
    if (apiCloudWatchRole) {
      apiFindings.push({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account CloudWatch role uses the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy, which AWS keeps in step with what API Gateway logging needs.",
      });
    } else {
      apiFindings.push(
        {
          id: 'AwsSolutions-APIG1',
          reason:
            "Turned off on purpose (apiCloudWatchRole=false): access logging needs API Gateway's account CloudWatch role, which the account manages elsewhere; the ApiLogging output says so.",
        },
        {
          id: 'AwsSolutions-APIG6',
          reason:
            "Turned off on purpose (apiCloudWatchRole=false): execution logging needs API Gateway's account CloudWatch role, which the account manages elsewhere; the ApiLogging output says so.",
        },
      );
    }
    Validations.of(this.api).acknowledge(...apiFindings);
  }
}
