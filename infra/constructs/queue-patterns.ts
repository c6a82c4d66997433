import { Aws, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Grants on the queues of every route at once, by the name patterns the routes' queues share
 * (shared/resource-names.ts): the functions that serve every route (ingest, drainer, archiver) get
 * one statement instead of one per queue, so their policies stay the same size whatever the number
 * of routes (a role's inline policies are limited to 10,240 characters in all, "IAM and AWS STS
 * quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export function grantOnQueuePatterns(
  grantee: IGrantable & { readonly role?: IConstruct },
  actions: readonly string[],
  patterns: readonly string[],
  reason: string,
): void {
  Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: patterns.map(
      (pattern) => `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${pattern}`,
    ),
  });
  for (const pattern of patterns) {
    Validations.of(grantee.role ?? (grantee as unknown as IConstruct)).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${pattern}]`,
      reason,
    });
  }
}
