import { Annotations, App, type AppProps, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type Env, USER_ENV } from '../shared/config/env-names.js';
import { loadOperationsConfig } from '../shared/config/operations.js';
import { loadDeliveryConfig, REFERENCE_CATERING_ENDPOINT } from '../shared/config/routes.js';
import { DEFAULT_STACK_NAME } from '../shared/config/stack-outputs.js';
import { ConfigurationError } from '../shared/errors.js';
import { GuaranteedDeliveryStack } from './guaranteed-delivery-stack.js';

/** Stack id and CloudFormation name unless `STACK_NAME` says otherwise (the contract with `gd`). */
export { DEFAULT_STACK_NAME };
/** Overrides the stack id and name, e.g. for a second copy in the same account. */
export const STACK_NAME_ENV = 'STACK_NAME';
/**
 * Context key (`cdk deploy -c apiCloudWatchRole=false`) for accounts whose API Gateway CloudWatch role
 * is managed elsewhere: the stack then neither sets it nor logs the API (see GuaranteedDeliveryStackProps).
 */
export const API_CLOUDWATCH_ROLE_CONTEXT = 'apiCloudWatchRole';
/**
 * Context key (`cdk deploy -c tableRemovalPolicy=destroy`) for throwaway stacks: the tables are
 * retained by default because the failover table may hold accepted messages.
 */
export const TABLE_REMOVAL_POLICY_CONTEXT = 'tableRemovalPolicy';
/** Id of the warning shown while the default route still targets the reference's fake endpoint. */
export const REFERENCE_ENDPOINT_WARNING = 'guaranteed-delivery:referenceEndpoint';

/** The app and its one stack, built from an environment (process.env in `infra/app.ts`). */
export interface DeliveryApp {
  readonly app: App;
  readonly stack: GuaranteedDeliveryStack;
}

/**
 * Builds the CDK app: the configuration from the environment (the overrides of docs/configuration.md), the stack,
 * and cdk-nag's AWS Solutions checks on everything (a finding without an acknowledgement fails synth).
 * Tests call this with their own environment and app props to check exactly what `cdk synth` builds.
 */
export function createDeliveryApp(env: Env, appProps: AppProps = {}): DeliveryApp {
  const app = new App(appProps);
  const config = loadDeliveryConfig(env);
  const stackName = env[STACK_NAME_ENV]?.trim() || DEFAULT_STACK_NAME;
  const cloudWatchRole = app.node.tryGetContext(API_CLOUDWATCH_ROLE_CONTEXT);
  if (cloudWatchRole !== undefined && ![true, false, 'true', 'false'].includes(cloudWatchRole)) {
    throw new ConfigurationError(
      `Context ${API_CLOUDWATCH_ROLE_CONTEXT} must be 'true' or 'false', got '${String(cloudWatchRole)}'`,
    );
  }
  const tableRemoval = app.node.tryGetContext(TABLE_REMOVAL_POLICY_CONTEXT);
  if (tableRemoval !== undefined && tableRemoval !== 'retain' && tableRemoval !== 'destroy') {
    throw new ConfigurationError(
      `Context ${TABLE_REMOVAL_POLICY_CONTEXT} must be 'retain' or 'destroy', got '${String(tableRemoval)}'`,
    );
  }
  const stack = new GuaranteedDeliveryStack(app, stackName, {
    stackName,
    description:
      'Guaranteed message delivery: API Gateway, SQS with DLQ, DynamoDB failover, Lambda forwarders',
    config,
    operations: loadOperationsConfig(env),
    apiCloudWatchRole:
      cloudWatchRole === undefined ? undefined : cloudWatchRole === true || cloudWatchRole === 'true',
    tableRemovalPolicy: tableRemoval === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    // Environment-agnostic unless the CLI knows the account: synth needs no credentials.
    env: { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION },
  });
  if (!env[USER_ENV.CATERING_SERVICE_EP]?.trim()) {
    Annotations.of(stack).addWarningV2(
      REFERENCE_ENDPOINT_WARNING,
      `${USER_ENV.CATERING_SERVICE_EP} is not set: the default route delivers to the reference scenario's ${REFERENCE_CATERING_ENDPOINT}, which does not exist, so every message ends in the DLQ. Set it to your backend's URL before deploying.`,
    );
  }
  // cdk-nag v3 runs as a CDK policy-validation plugin: any finding not acknowledged fails synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
