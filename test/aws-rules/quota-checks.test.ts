import { describe, expect, it } from 'vitest';
import { AWS_QUOTAS, checkQuotas } from './aws-quotas.js';
import type { AssemblyTemplate, CfnResource } from './cloud-assembly.js';
import { DeploymentNames, EMULATOR_TARGET } from './deployment-names.js';

/** A top-level template of the given resources (and a nested one when `nested` is given). */
function assembly(
  resources: Record<string, CfnResource>,
  nested?: Record<string, CfnResource>,
): DeploymentNames {
  const templates: AssemblyTemplate[] = [{ name: 'Stack', template: { Resources: resources }, bytes: 1_000 }];
  if (nested) {
    templates.push({
      name: 'Stack/Routes',
      parent: 'Stack',
      template: { Parameters: { QueueArn: { Type: 'String' } }, Resources: nested },
      bytes: 1_000,
    });
  }
  return new DeploymentNames(templates, EMULATOR_TARGET);
}

const fn = (variables: Record<string, unknown>): CfnResource => ({
  Type: 'AWS::Lambda::Function',
  Properties: { MemorySize: 256, Timeout: 30, Environment: { Variables: variables } },
});
const fifoQueue: CfnResource = { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } };
const mapping = (properties: Record<string, unknown>): CfnResource => ({
  Type: 'AWS::Lambda::EventSourceMapping',
  Properties: { FunctionName: 'f', EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, ...properties },
});
const quotasOf = (names: DeploymentNames) => checkQuotas(names).map((violation) => violation.quota);

describe('the quota checks', () => {
  it('measure an environment as Lambda does, after resolving references: 4,096 bytes pass, one more fails', () => {
    // Prepare: {"A":"<value>"} is 8 bytes around the value; a queue URL resolved from a Ref counts in full.
    const exactly = fn({ A: 'x'.repeat(AWS_QUOTAS.environmentBytes - 8) });
    const queueUrl = `https://sqs.${EMULATOR_TARGET.region}.amazonaws.com/${EMULATOR_TARGET.account}/`;
    const overByReference = fn({
      A: 'x'.repeat(AWS_QUOTAS.environmentBytes - 8 - queueUrl.length - 'Stack-Queue-'.length - 13 + 1),
      B: { Ref: 'Queue' },
    });

    // Act + Assess
    expect(quotasOf(assembly({ Fn: exactly }))).toEqual([]);
    expect(quotasOf(assembly({ Fn: overByReference, Queue: { Type: 'AWS::SQS::Queue' } }))).toEqual([
      'environmentBytes',
    ]);
  });

  it('fails a nested stack over 500 resources, naming it, and resolves its parameters from the parent', () => {
    // Prepare: 501 queues in the nested template, one mapping on a FIFO queue of the parent through a parameter.
    const nested: Record<string, CfnResource> = {};
    for (let index = 0; index < 501; index++) nested[`Queue${index}`] = { Type: 'AWS::SQS::Queue' };
    nested.Mapping = mapping({ EventSourceArn: { Ref: 'QueueArn' }, BatchSize: 11 });
    const parent: Record<string, CfnResource> = {
      Queue: fifoQueue,
      Routes: {
        Type: 'AWS::CloudFormation::Stack',
        Properties: { Parameters: { QueueArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      },
    };

    // Act
    const violations = checkQuotas(assembly(parent, nested));

    // Assess
    expect(violations.map((v) => `${v.where} ${v.quota}`).sort()).toEqual([
      'Stack/Routes resourcesPerStack',
      'Stack/Routes/Mapping sqsBatchSize',
    ]);
  });

  it('fails FIFO event source mappings with more than 10 records or a batching window, and a MaximumConcurrency under 2', () => {
    // Act
    const quotas = quotasOf(
      assembly({
        Queue: fifoQueue,
        Big: mapping({ BatchSize: 11 }),
        Windowed: mapping({ BatchSize: 10, MaximumBatchingWindowInSeconds: 1 }),
        Alone: mapping({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: 1 } }),
      }),
    );

    // Assess
    expect(quotas.sort()).toEqual(['batchingWindowSeconds', 'maximumConcurrency', 'sqsBatchSize']);
  });

  it('fails queues over 12 hours of visibility or 900 s of delay', () => {
    // Act
    const quotas = quotasOf(
      assembly({
        Slow: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 43_201 } },
        Late: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: 901 } },
        Fine: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 43_200, DelaySeconds: 900 } },
      }),
    );

    // Assess
    expect(quotas.sort()).toEqual(['delaySeconds', 'visibilityTimeoutSeconds']);
  });

  it('fails a role whose inline policies pass 10,240 characters together, and a managed policy over 6,144', () => {
    // Prepare: two inline policies of about 6,000 characters each on one role, resources resolved first.
    const statement = (count: number) => ({
      Version: '2012-10-17',
      Statement: Array.from({ length: count }, (_, index) => ({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sqs:us-east-1:123456789012:q${index}`]],
        },
      })),
    });
    const policy = (count: number): CfnResource => ({
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyDocument: statement(count), Roles: [{ Ref: 'Role' }] },
    });

    // Act
    const quotas = quotasOf(
      assembly({
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
        First: policy(60),
        Second: policy(60),
        Managed: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: statement(70) } },
      }),
    );

    // Assess
    expect(quotas.sort()).toEqual(['managedPolicyCharacters', 'roleInlinePolicyCharacters']);
  });
});
