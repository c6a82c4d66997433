import { randomBytes } from 'node:crypto';
import { APIGatewayClient, CreateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CallPrincipal } from '../../shared/aws/call-recorder.js';
import { COMPONENT_TAG, ROUTE_TAG } from '../../shared/config/component-tags.js';
import type { DeploymentNames } from './deployment-names.js';
import type { ResourceDirectory } from './iam-requests.js';

/**
 * A synthesized assembly "deployed" into the emulator: every queue, table, bucket, topic, secret and
 * API key created under the name CloudFormation would give it (DeploymentNames), the stack's
 * outputs readable through CloudFormation's DescribeStacks. Functions then run with the environment
 * the template gives them, resolved, so their calls name the very ARNs the template's policies name.
 * Lambda functions, event source mappings and state machines are not created: the tests run those
 * in-process.
 */
export interface EmulatedDeployment extends ResourceDirectory {
  readonly names: DeploymentNames;
  readonly stackName: string;
  /** The environment the template gives the function tagged for `principal`, resolved. */
  environmentOf(principal: CallPrincipal): Record<string, string>;
  /** The resolved properties of every resource of a type. */
  resourcesOf(type: string): Record<string, unknown>[];
}

const clientOptions = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  forcePathStyle: true,
});

type Tags = readonly { Key: string; Value: string }[] | undefined;

/** Creates the assembly's stateful resources in the emulator at `endpoint`. */
export async function deployToEmulator(
  names: DeploymentNames,
  endpoint: string,
): Promise<EmulatedDeployment> {
  const options = clientOptions(endpoint);
  const sqs = new SQSClient(options);
  const dynamoDb = new DynamoDBClient(options);
  const s3 = new S3Client(options);
  const secrets = new SecretsManagerClient(options);
  const sns = new SNSClient(options);
  const secretArns = new Map<string, string>();
  try {
    // Secrets first: their ARNs carry a suffix the emulator picks, and other values refer to them.
    for (const { template, id, resource } of names.resources('AWS::SecretsManager::Secret')) {
      const name = names.physicalName(template, id);
      const generate = resource.Properties?.GenerateSecretString as
        | { SecretStringTemplate?: string; GenerateStringKey?: string }
        | undefined;
      const value = { ...JSON.parse(generate?.SecretStringTemplate ?? '{}') };
      if (generate?.GenerateStringKey) value[generate.GenerateStringKey] = randomBytes(24).toString('hex');
      const created = await secrets.send(
        new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }),
      );
      secretArns.set(name, created.ARN ?? '');
      names.override(template, id, { Ref: created.ARN ?? '', Arn: created.ARN ?? '', Id: created.ARN ?? '' });
    }
    // Secrets the template only refers to (by name: a policy on `<name>-??????`) exist before a deploy.
    for (const name of referencedSecretNames(names)) {
      if (secretArns.has(name)) continue;
      const created = await secrets.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({ token: randomBytes(12).toString('hex') }),
        }),
      );
      secretArns.set(name, created.ARN ?? '');
    }
    for (const { template, id } of names.resources('AWS::ApiGateway::ApiKey')) {
      const created = await new APIGatewayClient(options).send(
        new CreateApiKeyCommand({ name: names.physicalName(template, id), enabled: true }),
      );
      names.override(template, id, { Ref: created.id ?? '', APIKeyId: created.id ?? '' });
    }
    for (const { template, id, resource } of names.resources('AWS::DynamoDB::Table')) {
      const props = names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
      const onDemand = props.BillingMode === 'PAY_PER_REQUEST';
      await dynamoDb.send(
        new CreateTableCommand({
          TableName: names.physicalName(template, id),
          KeySchema: props.KeySchema as never,
          AttributeDefinitions: props.AttributeDefinitions as never,
          BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
          ...(onDemand ? {} : { ProvisionedThroughput: props.ProvisionedThroughput as never }),
          ...(props.GlobalSecondaryIndexes
            ? {
                GlobalSecondaryIndexes: (props.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
                  (index) => ({
                    IndexName: index.IndexName as string,
                    KeySchema: index.KeySchema as never,
                    Projection: index.Projection as never,
                    ...(onDemand ? {} : { ProvisionedThroughput: index.ProvisionedThroughput as never }),
                  }),
                ),
              }
            : {}),
        }),
      );
    }
    // Queues without their redrive policies first: a policy names its DLQ, which must exist.
    const redrives: { url: string; policy: unknown }[] = [];
    for (const { template, id, resource } of names.resources('AWS::SQS::Queue')) {
      const props = names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
      const attributes: Record<string, string> = {};
      for (const key of [
        'VisibilityTimeout',
        'MessageRetentionPeriod',
        'DelaySeconds',
        'ReceiveMessageWaitTimeSeconds',
        'FifoQueue',
        'ContentBasedDeduplication',
        'DeduplicationScope',
        'FifoThroughputLimit',
      ]) {
        if (props[key] !== undefined) attributes[key] = String(props[key]);
      }
      const created = await sqs.send(
        new CreateQueueCommand({ QueueName: names.physicalName(template, id), Attributes: attributes }),
      );
      if (props.RedrivePolicy) redrives.push({ url: created.QueueUrl ?? '', policy: props.RedrivePolicy });
    }
    for (const { url, policy } of redrives) {
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: { RedrivePolicy: JSON.stringify(policy) },
        }),
      );
    }
    for (const { template, id } of names.resources('AWS::S3::Bucket')) {
      await s3.send(new CreateBucketCommand({ Bucket: names.physicalName(template, id) }));
    }
    for (const { template, id } of names.resources('AWS::SNS::Topic')) {
      await sns.send(new CreateTopicCommand({ Name: names.physicalName(template, id) }));
    }
    // The outputs `gd` reads, as CloudFormation would answer DescribeStacks.
    const top = names.templates.find((template) => !template.parent);
    if (!top) throw new Error('the assembly has no top-level stack');
    const outputs: Record<string, { Value: string }> = {};
    for (const [key, output] of Object.entries(top.template.Outputs ?? {})) {
      outputs[key] = { Value: String(names.resolve((output as { Value: unknown }).Value, top)) };
    }
    await new CloudFormationClient(options).send(
      new CreateStackCommand({
        StackName: top.name,
        TemplateBody: JSON.stringify({
          Resources: { Outputs: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
          Outputs: outputs,
        }),
      }),
    );

    return {
      names,
      stackName: top.name,
      secretArn: (name) => secretArns.get(name),
      mappingFunctionArn(uuid) {
        for (const { template, id, resource } of names.resources('AWS::Lambda::EventSourceMapping')) {
          if (String(names.resolve({ Ref: id }, template)) !== uuid) continue;
          const name = String(names.resolve(resource.Properties?.FunctionName, template));
          return name.startsWith('arn:')
            ? name
            : `arn:${names.partition}:lambda:${names.target.region}:${names.target.account}:function:${name}`;
        }
        return undefined;
      },
      environmentOf(principal) {
        for (const { template, resource } of names.resources('AWS::Lambda::Function')) {
          const props = names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
          const tags = props.Tags as Tags;
          const tag = (key: string) => tags?.find((entry) => entry.Key === key)?.Value;
          if (tag(COMPONENT_TAG) !== principal.component) continue;
          if (tag(ROUTE_TAG) !== undefined && tag(ROUTE_TAG) !== principal.route) continue;
          const variables =
            (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
          return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
        }
        throw new Error(
          `no function tagged ${COMPONENT_TAG}=${principal.component} for route ${principal.route}`,
        );
      },
      resourcesOf(type) {
        return [...names.resources(type)].map(
          ({ template, resource }) =>
            names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>,
        );
      },
    };
  } finally {
    for (const client of [sqs, dynamoDb, s3, secrets, sns]) client.destroy();
  }
}

/** Names of secrets that policies grant by name (`arn:...:secret:<name>-??????`), created outside the stack. */
function referencedSecretNames(names: DeploymentNames): Set<string> {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string') {
      const match = /:secret:(.+)-\?{6}$/.exec(value);
      if (match?.[1]) found.add(match[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  for (const { template, resource } of names.resources('AWS::IAM::Policy')) {
    visit(names.resolve(resource.Properties?.PolicyDocument, template));
  }
  return found;
}
