import { RemovalPolicy, type StackProps } from 'aws-cdk-lib';
import { Period, type QuotaSettings, type ThrottleSettings } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { OperationsConfig } from '../shared/config/operations.js';
import type { DeliveryConfig } from '../shared/config/routes.js';

/**
 * What the guaranteed-delivery stack is built from: its props (each with TSDoc and @default) and
 * their defaults, merged in GuaranteedDeliveryStack's constructor.
 */

/** Defaults of the optional {@link GuaranteedDeliveryStackProps}, merged in the constructor. */
export const STACK_DEFAULTS: StackDefaults = {
  tableRemovalPolicy: RemovalPolicy.RETAIN,
  apiCloudWatchRole: true,
  stageThrottle: { rateLimit: 100, burstLimit: 200 },
  usagePlanThrottle: { rateLimit: 50, burstLimit: 100 },
  usagePlanQuota: { limit: 1_000_000, period: Period.DAY },
  logRetention: RetentionDays.ONE_MONTH,
};

type StackDefaults = Required<
  Pick<
    GuaranteedDeliveryStackProps,
    | 'tableRemovalPolicy'
    | 'apiCloudWatchRole'
    | 'stageThrottle'
    | 'usagePlanThrottle'
    | 'usagePlanQuota'
    | 'logRetention'
  >
>;
/** The props with every default applied. */
export type StackSettings = StackDefaults & Omit<GuaranteedDeliveryStackProps, keyof StackDefaults>;

/** Properties of the {@link GuaranteedDeliveryStack}. */
export interface GuaranteedDeliveryStackProps extends StackProps {
  /** Routes and shared settings, from `loadDeliveryConfig` (shared/config/routes.ts). */
  readonly config: DeliveryConfig;
  /**
   * Alarms, alarm email and continuing delivery, from `loadOperationsConfig` (shared/config/operations.ts).
   * @default DEFAULT_OPERATIONS_CONFIG (no email, 15 min oldest-message alarm, continuing delivery without schedule)
   */
  readonly operations?: OperationsConfig;
  /**
   * Removal policy of both tables. The failover table holds accepted messages that are not in a
   * queue yet, so deleting the stack must not delete them unless asked to.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Whether this stack sets API Gateway's account-wide CloudWatch role (AWS::ApiGateway::Account).
   * API Gateway writes the stage's access and execution logs through that role, and a stage with
   * logging fails to deploy in an account and region where it was never set, so the stack sets it:
   * a first `cdk deploy` needs no flag. The role and the setting are retained when the stack is
   * deleted, because other APIs of the account may log through them by then. Turn it off
   * (`-c apiCloudWatchRole=false`) where the account setting is managed elsewhere; the stack then
   * keeps API logging off (the ApiLogging output says so) instead of failing where the role is missing.
   * @default true
   */
  readonly apiCloudWatchRole?: boolean;
  /**
   * Throttling of the whole stage (all clients together).
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly stageThrottle?: ThrottleSettings;
  /**
   * Throttling per API key (usage plan), when keys are required.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly usagePlanThrottle?: ThrottleSettings;
  /**
   * Request quota per API key (usage plan), when keys are required.
   * @default { limit: 1_000_000, period: Period.DAY }
   */
  readonly usagePlanQuota?: QuotaSettings;
  /**
   * Seconds the drainer may work per run; its timeout is this plus 15 s.
   * @default - the drain interval minus 10 s, at most 840
   */
  readonly drainTimeBudgetSeconds?: number;
  /**
   * SendMessageBatch calls the drainer keeps in flight per run (1 to 32).
   * @default 8
   */
  readonly drainConcurrency?: number;
  /**
   * Retention of the API access log group (function log groups keep theirs from DeliveryFunction).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}
