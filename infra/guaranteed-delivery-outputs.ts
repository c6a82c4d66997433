import { CfnOutput } from 'aws-cdk-lib';
import { FRONT_DOOR_HTTP_API } from '../shared/config/front-door.js';
import { routeGroupId } from '../shared/config/route-groups.js';
import { routeGroupOutputKey, STACK_OUTPUT } from '../shared/config/stack-outputs.js';
import type { GuaranteedDeliveryStack } from './guaranteed-delivery-stack.js';

/**
 * The stack's CloudFormation outputs: gd's contract with a deployed stack (the keys are
 * shared/config/stack-outputs.ts's, read back by cli/stack/deployed-stack-outputs.ts).
 */

/** Values of the `ApiLogging` output. */
export const API_LOGGING = {
  ON: "on: access and execution (ERROR) logs, through API Gateway's account CloudWatch role, which this stack sets and retains",
  OFF: "off: apiCloudWatchRole=false. Set API Gateway's account CloudWatch role (console: API Gateway > Settings), then deploy with -c apiCloudWatchRole=true, or leave it as it is",
  HTTP_API: 'on: access logs (an HTTP API needs no account CloudWatch role)',
} as const;

/** Adds every output of `stack`; the ApiLogging output tells whether API Gateway logs. */
export function addStackOutputs(stack: GuaranteedDeliveryStack, apiCloudWatchRole: boolean): void {
  new CfnOutput(stack, STACK_OUTPUT.API_URL, {
    value: stack.api.url,
    description: 'Base URL of the API stage',
  });
  new CfnOutput(stack, STACK_OUTPUT.FRONT_DOOR, {
    value: stack.api.frontDoor.type,
    description: 'rest (API keys, usage plans) or http-api (IAM or JWT authorization)',
  });
  new CfnOutput(stack, STACK_OUTPUT.API_LOGGING, {
    value:
      stack.api.frontDoor.type === FRONT_DOOR_HTTP_API
        ? API_LOGGING.HTTP_API
        : apiCloudWatchRole
          ? API_LOGGING.ON
          : API_LOGGING.OFF,
    description: 'API Gateway access and execution logging, and the account CloudWatch role it needs',
  });
  new CfnOutput(stack, STACK_OUTPUT.FAILOVER_TABLE_NAME, { value: stack.failoverTable.tableName });
  new CfnOutput(stack, STACK_OUTPUT.MESSAGE_TABLE_NAME, { value: stack.messageTable.tableName });
  new CfnOutput(stack, STACK_OUTPUT.DRAINER_FUNCTION_NAME, { value: stack.drainerFunction.functionName });
  new CfnOutput(stack, STACK_OUTPUT.INGEST_FUNCTION_NAME, {
    value: stack.ingest.ingestFunction.functionName,
  });
  new CfnOutput(stack, STACK_OUTPUT.RESOURCE_PREFIX, {
    value: stack.namePrefix,
    description:
      "Start of the names of the routes' queues (<prefix>_q_<route>, <prefix>_dlq_<route>) and forwarders (<prefix>_fwd_<route>)",
  });
  new CfnOutput(stack, STACK_OUTPUT.ARCHIVE_BUCKET_NAME, {
    value: stack.archive.bucket.bucketName,
    description: 'Messages archived before SQS retention (gd archive list, gd redrive --from-archive)',
  });
  new CfnOutput(stack, STACK_OUTPUT.PAYLOAD_BUCKET_NAME, {
    value: stack.payloads.bucket.bucketName,
    description: 'Bodies over 250,000 bytes, one object per message (gd dlq show --save)',
  });
  new CfnOutput(stack, STACK_OUTPUT.QUEUE_URL_BASE, {
    value: stack.queueUrlBase,
    description: "A route's queue URL is this followed by its queue's name",
  });
  // One output a group of routes (a stack has at most 200 outputs): gd reads them all in one DescribeStacks.
  for (const [group, nested] of stack.routeGroups) {
    new CfnOutput(stack, routeGroupOutputKey(group), {
      value: nested.routesOutput,
      description: `Routes of nested stack ${routeGroupId(group)} (name, path, event source mapping, breaker, signing secret)`,
    });
  }
  new CfnOutput(stack, STACK_OUTPUT.OPERATOR_READ_ONLY_POLICY_ARN, {
    value: stack.operatorPolicies.readOnly.managedPolicyArn,
    description: "gd's read-only commands (attach to an operator's role; docs/runbook.md)",
  });
  new CfnOutput(stack, STACK_OUTPUT.OPERATOR_POLICY_ARN, {
    value: stack.operatorPolicies.operator.managedPolicyArn,
    description: "gd's state-changing commands, with the read-only policy (docs/runbook.md)",
  });
  new CfnOutput(stack, STACK_OUTPUT.DASHBOARD_NAME, { value: stack.monitoring.dashboard.dashboardName });
  if (stack.monitoring.alarmTopic) {
    new CfnOutput(stack, STACK_OUTPUT.ALARM_TOPIC_ARN, { value: stack.monitoring.alarmTopic.topicArn });
  }
  if (stack.continuingDelivery?.arnPrefix) {
    new CfnOutput(stack, STACK_OUTPUT.CONTINUING_DELIVERY_ARN_PREFIX, {
      value: stack.continuingDelivery.arnPrefix,
      description:
        "Each route's Step Functions state machine that redrives its DLQ with growing waits is this followed by the route's name (start: gd keep-trying)",
    });
  }
}
