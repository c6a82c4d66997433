import { type Denial, evaluateRequest } from './iam-evaluation.js';
import type { PolicyBook } from './policy-book.js';

/**
 * The calls AWS services make on the stack's behalf, as the template wires them, evaluated like the
 * functions' own: CloudWatch alarms publishing to their topic (and using its KMS key), EventBridge
 * rules invoking functions and starting state machines, Lambda polling a queue for its event source
 * mapping. A missing topic policy statement or permission shows here, not only after a deploy.
 */
export async function evaluateServiceInvocations(
  book: PolicyBook,
): Promise<{ denials: Denial[]; evaluated: number }> {
  const { names } = book;
  const { account, region } = names.target;
  const denials: Denial[] = [];
  let evaluated = 0;
  const check = async (
    who: string,
    principal: string,
    action: string,
    resource: string,
    context: Record<string, string>,
    identityPolicies: Parameters<typeof evaluateRequest>[1] = [],
  ) => {
    evaluated++;
    const result = await evaluateRequest(
      principal,
      identityPolicies,
      { action, resource, context: { 'aws:SecureTransport': 'true', ...context } },
      book.resourcePolicyOf(resource),
      names.target,
    );
    if (result !== 'Allowed')
      denials.push({ principal: who, action, resource, result, call: 'wired by the template' });
  };

  // CloudWatch alarms → SNS topics (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
  for (const { template, id, resource } of names.resources('AWS::CloudWatch::Alarm')) {
    const props = names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
    const alarmArn = `arn:aws:cloudwatch:${region}:${account}:alarm:${names.physicalName(template, id)}`;
    const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap(
      (key) => (props[key] as string[] | undefined) ?? [],
    );
    for (const topic of new Set(actions.filter((arn) => arn.startsWith('arn:aws:sns:')))) {
      const context = { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': account };
      await check(`alarm ${id}`, 'cloudwatch.amazonaws.com', 'sns:Publish', topic, context);
      const key = book.kmsKeyOf(topic);
      if (key) {
        // SNS encrypts with the key as the publishing service: the key policy must let CloudWatch use it
        // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
        for (const kmsAction of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          await check(`alarm ${id}`, 'cloudwatch.amazonaws.com', kmsAction, key, context);
        }
      }
    }
  }

  // EventBridge rules → functions (resource policy) and state machines (the target's role).
  for (const { template, id, resource } of names.resources('AWS::Events::Rule')) {
    const props = names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
    const ruleArn = names.getAtt(template, id, 'Arn');
    for (const target of (props.Targets as { Arn: string; RoleArn?: string }[] | undefined) ?? []) {
      if (target.Arn.includes(':function:')) {
        await check(`rule ${id}`, 'events.amazonaws.com', 'lambda:InvokeFunction', target.Arn, {
          'aws:SourceArn': ruleArn,
          'aws:SourceAccount': account,
        });
      } else if (target.Arn.includes(':stateMachine:') && target.RoleArn) {
        const identity = book.roleByArn(target.RoleArn);
        await check(
          `rule ${id} (role ${identity.label})`,
          target.RoleArn,
          'states:StartExecution',
          target.Arn,
          {},
          identity.policies,
        );
      }
    }
  }

  // Lambda polls with the function's role, and checks these three when the mapping is created
  // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions).
  for (const { template, id, resource } of names.resources('AWS::Lambda::EventSourceMapping')) {
    const props = names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
    const queue = String(props.EventSourceArn);
    if (!queue.startsWith('arn:aws:sqs:')) continue;
    const functionArn = String(props.FunctionName).startsWith('arn:')
      ? String(props.FunctionName)
      : `arn:aws:lambda:${region}:${account}:function:${props.FunctionName}`;
    const identity = book.roleByArn(book.roleOfFunction(functionArn));
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
      await check(
        `event source mapping ${id} (${identity.label})`,
        identity.arn,
        action,
        queue,
        {},
        identity.policies,
      );
    }
  }
  return { denials, evaluated };
}
