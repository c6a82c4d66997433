import type { CallPrincipal } from '../../shared/aws/call-recorder.js';
import { COMPONENT, COMPONENT_TAG, ROUTE_TAG } from '../../shared/config/component-tags.js';
import { STACK_OUTPUT } from '../../shared/config/stack-outputs.js';
import type { AssemblyTemplate, CfnResource } from './cloud-assembly.js';
import type { DeploymentNames } from './deployment-names.js';

/** An IAM policy document as IAM stores it (intrinsics resolved). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Record<string, unknown>[];
}

/** A principal's identity: its ARN and the identity policies attached to it. */
export interface Identity {
  /** How the checks name it: `forwarder (route orders)`, `gd`. */
  readonly label: string;
  readonly arn: string;
  readonly policies: readonly { readonly name: string; readonly policy: PolicyDocument }[];
}

/** The operator's principal: a role of the account to which the stack's operator policies are attached. */
export const OPERATOR_ROLE_NAME = 'gd-operator';

/** The outputs naming the operator policies (the read-only one, and the one for state-changing commands). */
export const OPERATOR_POLICY_OUTPUTS = [
  STACK_OUTPUT.OPERATOR_READ_ONLY_POLICY_ARN,
  STACK_OUTPUT.OPERATOR_POLICY_ARN,
];

/** How a principal is named in the checks' messages: `forwarder (route orders)`. */
export const labelOf = (principal: CallPrincipal) =>
  `${principal.component}${principal.route ? ` (route ${principal.route})` : ''}`;

type Tags = readonly { Key: string; Value: string }[] | Record<string, string> | undefined;
const tagOf = (tags: Tags, key: string): string | undefined =>
  Array.isArray(tags)
    ? tags.find((tag) => tag.Key === key)?.Value
    : (tags as Record<string, string> | undefined)?.[key];

/**
 * The IAM policies of a synthesized assembly, found by resource type and tag (never by logical id):
 * a principal's role and identity policies, and the resource policies of queues, topics, buckets,
 * keys, secrets and functions.
 */
export class PolicyBook {
  private readonly identities = new Map<string, Identity>();

  constructor(readonly names: DeploymentNames) {}

  /** Resolved properties of a resource. */
  private props(template: AssemblyTemplate, resource: CfnResource): Record<string, unknown> {
    return this.names.resolve(resource.Properties ?? {}, template) as Record<string, unknown>;
  }

  /** The identity whose policies decide `principal`'s calls; throws naming what is missing. */
  identityOf(principal: CallPrincipal): Identity {
    const key = `${principal.component}/${principal.route ?? ''}`;
    const known = this.identities.get(key);
    if (known) return known;
    const identity =
      principal.component === COMPONENT.OPERATOR
        ? this.operator()
        : this.roleIdentity(labelOf(principal), this.roleArnOf(principal));
    this.identities.set(key, identity);
    return identity;
  }

  /** A role of the template by its ARN, with its identity policies (an events rule's, a function's). */
  roleByArn(roleArn: string): Identity {
    const tagged = this.tagged().find((entry) => entry.roleArn === roleArn);
    return this.roleIdentity(
      tagged ? labelOf(tagged.principal) : (roleArn.split('/').pop() ?? roleArn),
      roleArn,
    );
  }

  /** The role ARN of a function of the template, by the function's ARN. */
  roleOfFunction(functionArn: string): string {
    for (const { template, id, resource } of this.names.resources('AWS::Lambda::Function')) {
      if (this.names.getAtt(template, id, 'Arn') === functionArn)
        return String(this.props(template, resource).Role);
    }
    throw new Error(`no function ${functionArn} in the template`);
  }

  /** Every role of the assembly that runs a function or a state machine, with its principal. */
  tagged(): { principal: CallPrincipal; roleArn: string }[] {
    const found: { principal: CallPrincipal; roleArn: string }[] = [];
    for (const type of ['AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine'] as const) {
      for (const { template, resource } of this.names.resources(type)) {
        const props = this.props(template, resource);
        const component = tagOf(props.Tags as Tags, COMPONENT_TAG);
        if (!component) continue;
        const route = tagOf(props.Tags as Tags, ROUTE_TAG);
        found.push({
          principal: { component, ...(route ? { route } : {}) },
          roleArn: String(type === 'AWS::Lambda::Function' ? props.Role : props.RoleArn),
        });
      }
    }
    return found;
  }

  private roleArnOf(principal: CallPrincipal): string {
    const candidates = this.tagged().filter(
      (entry) =>
        entry.principal.component === principal.component &&
        (entry.principal.route === principal.route || entry.principal.route === undefined),
    );
    // A function of the route itself wins over one that serves every route.
    const exact = candidates.filter((entry) => entry.principal.route === principal.route);
    const chosen = exact.length > 0 ? exact : candidates;
    if (chosen.length !== 1) {
      throw new Error(
        `expected one function or state machine tagged ${COMPONENT_TAG}=${principal.component}` +
          `${principal.route ? ` ${ROUTE_TAG}=${principal.route}` : ''} in the template, found ${chosen.length}`,
      );
    }
    return (chosen[0] as { roleArn: string }).roleArn;
  }

  /** A role's identity policies: its own inline ones, AWS::IAM::Policy on it, managed policies of the template. */
  private roleIdentity(label: string, roleArn: string): Identity {
    const policies: { name: string; policy: PolicyDocument }[] = [];
    let roleName: string | undefined;
    for (const { template, id, resource } of this.names.resources('AWS::IAM::Role')) {
      if (this.names.getAtt(template, id, 'Arn') !== roleArn) continue;
      roleName = this.names.physicalName(template, id);
      const props = this.props(template, resource);
      for (const inline of (props.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ??
        []) {
        policies.push({ name: inline.PolicyName, policy: inline.PolicyDocument });
      }
      for (const arn of (props.ManagedPolicyArns as string[] | undefined) ?? []) {
        policies.push({ name: arn, policy: this.managedPolicy(arn) });
      }
    }
    if (roleName === undefined) throw new Error(`${label}: no role ${roleArn} in the template`);
    for (const { template, id, resource } of this.names.resources()) {
      if (!['AWS::IAM::Policy', 'AWS::IAM::RolePolicy', 'AWS::IAM::ManagedPolicy'].includes(resource.Type))
        continue;
      const props = this.props(template, resource);
      const roles =
        resource.Type === 'AWS::IAM::RolePolicy' ? [props.RoleName] : ((props.Roles as unknown[]) ?? []);
      if (roles.includes(roleName))
        policies.push({ name: id, policy: props.PolicyDocument as PolicyDocument });
    }
    return { label, arn: roleArn, policies };
  }

  /** A customer managed policy of the template by its ARN; an AWS managed one cannot be read offline. */
  private managedPolicy(arn: string): PolicyDocument {
    for (const { template, id, resource } of this.names.resources('AWS::IAM::ManagedPolicy')) {
      if (this.names.getAtt(template, id, 'Arn') === arn)
        return this.props(template, resource).PolicyDocument as PolicyDocument;
    }
    throw new Error(
      `managed policy ${arn} is not in the template; the checks cannot read AWS managed policies`,
    );
  }

  /** The operator: a role with the managed policies the stack outputs for `gd`. */
  private operator(): Identity {
    const outputs = new Map<string, unknown>();
    for (const template of this.names.templates) {
      for (const [key, output] of Object.entries(template.template.Outputs ?? {})) {
        outputs.set(key, this.names.resolve((output as { Value: unknown }).Value, template));
      }
    }
    const arns = OPERATOR_POLICY_OUTPUTS.map((key) => {
      const arn = outputs.get(key);
      if (typeof arn !== 'string')
        throw new Error(`the stack has no output ${key} naming an operator policy`);
      return arn;
    });
    return {
      label: 'gd',
      arn: `arn:aws:iam::${this.names.target.account}:role/${OPERATOR_ROLE_NAME}`,
      policies: arns.map((arn) => ({ name: arn, policy: this.managedPolicy(arn) })),
    };
  }

  /**
   * The resource policy that decides together with the identity policies for `arn`, if the
   * assembly gives the resource one: queue, topic, bucket (for its objects too), key, secret, function.
   */
  resourcePolicyOf(arn: string): PolicyDocument | undefined {
    const statements: Record<string, unknown>[] = [];
    const collect = (
      type: string,
      targets: (props: Record<string, unknown>) => unknown[],
      document: string,
    ) => {
      for (const { template, resource } of this.names.resources(type)) {
        const props = this.props(template, resource);
        if (targets(props).some((target) => this.sameResource(String(target), arn))) {
          statements.push(...((props[document] as PolicyDocument | undefined)?.Statement ?? []));
        }
      }
    };
    const service = arn.split(':')[2];
    if (service === 'sqs') collect('AWS::SQS::QueuePolicy', (p) => p.Queues as unknown[], 'PolicyDocument');
    if (service === 'sns') collect('AWS::SNS::TopicPolicy', (p) => p.Topics as unknown[], 'PolicyDocument');
    if (service === 's3') collect('AWS::S3::BucketPolicy', (p) => [p.Bucket], 'PolicyDocument');
    if (service === 'secretsmanager')
      collect('AWS::SecretsManager::ResourcePolicy', (p) => [p.SecretId], 'ResourcePolicy');
    if (service === 'kms') {
      for (const { template, id, resource } of this.names.resources('AWS::KMS::Key')) {
        if (this.names.getAtt(template, id, 'Arn') === arn) {
          statements.push(...((this.props(template, resource).KeyPolicy as PolicyDocument).Statement ?? []));
        }
      }
    }
    if (service === 'lambda' && arn.includes(':function:')) {
      for (const { template, id, resource } of this.names.resources('AWS::Lambda::Permission')) {
        const props = this.props(template, resource);
        if (!this.sameResource(String(props.FunctionName), arn)) continue;
        const principal = String(props.Principal);
        statements.push({
          Sid: id,
          Effect: 'Allow',
          Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
          Action: props.Action,
          Resource: arn,
          ...(props.SourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': props.SourceArn } } } : {}),
          ...(props.SourceAccount
            ? { Condition: { StringEquals: { 'AWS:SourceAccount': props.SourceAccount } } }
            : {}),
        });
      }
    }
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }

  /**
   * Whether a reference a resource policy's owner names (a queue URL, a bucket name, a topic or
   * function ARN, a function name) is the resource of `arn` (an S3 object's bucket counts).
   */
  private sameResource(reference: string, arn: string): boolean {
    if (reference === arn) return true;
    const name = reference.startsWith('https://sqs.') ? reference.split('/').pop() : reference;
    const parts = arn.split(':');
    const service = parts[2];
    if (service === 'sqs') return parts[5] === name;
    if (service === 's3') return (parts[5] ?? '').split('/')[0] === name;
    if (service === 'lambda') return parts[6] === name || parts.slice(0, 7).join(':') === reference;
    return false;
  }

  /** The KMS key an encrypted topic, secret or bucket uses, as an ARN (undefined: none, or AWS owned). */
  kmsKeyOf(arn: string): string | undefined {
    const service = arn.split(':')[2];
    const keyArn = (value: unknown) => {
      if (typeof value !== 'string' || value === '' || value.startsWith('alias/aws/')) return undefined;
      return value.startsWith('arn:')
        ? value
        : `arn:aws:kms:${this.names.target.region}:${this.names.target.account}:key/${value}`;
    };
    if (service === 'sns') {
      for (const { template, id, resource } of this.names.resources('AWS::SNS::Topic')) {
        if (this.names.getAtt(template, id, 'TopicArn') === arn)
          return keyArn(this.props(template, resource).KmsMasterKeyId);
      }
    }
    if (service === 'secretsmanager') {
      for (const { template, id, resource } of this.names.resources('AWS::SecretsManager::Secret')) {
        if (this.names.getAtt(template, id, 'Arn') === arn)
          return keyArn(this.props(template, resource).KmsKeyId);
      }
    }
    return undefined;
  }
}
