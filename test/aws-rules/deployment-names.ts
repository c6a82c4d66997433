// Over 300 lines: one resolver of CloudFormation's intrinsics, with the table of what Ref and
// Fn::GetAtt give for each resource type; the table and the functions that use it read as one.
import { createHash } from 'node:crypto';
import type { AssemblyTemplate, CfnResource, CfnTemplate } from './cloud-assembly.js';

/**
 * Where an imagined deployment of the assembly lives: the account, region and partition every
 * `AWS::*` pseudo parameter and every ARN resolve to. The IAM checks use the emulator's own account
 * and region, so that the ARNs of the calls the functions make there are the ARNs the policies name.
 */
export interface DeploymentTarget {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
}

/** moto's account and the tests' region: what the emulator puts in every ARN it hands out. */
export const EMULATOR_TARGET: DeploymentTarget = { account: '123456789012', region: 'us-east-1' };

/**
 * The longest commercial region name (14 characters, e.g. ap-southeast-2), for size checks: a
 * queue URL or ARN is longest there, so an environment that fits there fits everywhere.
 */
export const LONGEST_REGION_TARGET: DeploymentTarget = { account: '123456789012', region: 'ap-southeast-2' };

/** Longest physical name CloudFormation may generate, per resource type (the services' own limits). */
const NAME_LIMITS: Record<string, number> = {
  'AWS::SQS::Queue': 80,
  'AWS::Lambda::Function': 64,
  'AWS::IAM::Role': 64,
  'AWS::IAM::ManagedPolicy': 128,
  'AWS::Events::Rule': 64,
  'AWS::StepFunctions::StateMachine': 80,
  'AWS::S3::Bucket': 63,
  'AWS::SNS::Topic': 256,
};

/** The property that names a resource when the template sets a name itself. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::SQS::Queue': 'QueueName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Events::Rule': 'Name',
};

/** A pseudo-random but stable suffix, as CloudFormation appends to the names it generates. */
function suffix(seed: string, length: number): string {
  const digest = createHash('sha256').update(seed).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from({ length }, (_, i) => alphabet[(digest[i] as number) % alphabet.length]).join('');
}

/** A stable UUID-shaped id (API ids, key ids, mapping UUIDs). */
function uuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** An error naming what the resolver met and could not turn into a value. */
export class UnresolvableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnresolvableError';
  }
}

/**
 * Turns the CloudFormation intrinsics of a synthesized cloud assembly into the concrete values a
 * deployment would have (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If, the
 * pseudo parameters, nested stacks' parameters and outputs). A resource without a name of its own
 * gets one as CloudFormation makes it, `<stack>-<logical id>-<13 characters>`, cut to the
 * service's limit, so sizes measured after resolution are the sizes AWS sees. Nothing here knows
 * a logical id of this project: everything is found by resource type.
 */
export class DeploymentNames {
  private readonly byName = new Map<string, AssemblyTemplate>();
  private readonly names = new Map<string, string>();
  private readonly overrides = new Map<string, Readonly<Record<string, string>>>();

  constructor(
    readonly templates: readonly AssemblyTemplate[],
    readonly target: DeploymentTarget,
  ) {
    for (const template of templates) this.byName.set(template.name, template);
  }

  get partition(): string {
    return this.target.partition ?? 'aws';
  }

  /**
   * Values an emulator chose for a resource (a secret's ARN suffix, an API key's id): `Ref` and the
   * named attributes of `Fn::GetAtt` give these instead of made-up ones.
   */
  override(template: AssemblyTemplate, id: string, values: Readonly<Record<string, string>>): void {
    this.overrides.set(`${template.name}/${id}`, values);
  }

  /** The template of a stack (top-level or nested) by its assembly name. */
  template(name: string): AssemblyTemplate {
    const found = this.byName.get(name);
    if (!found) throw new UnresolvableError(`no template ${name} in the assembly`);
    return found;
  }

  /** Every resource of every template, with the template it belongs to. */
  *resources(type?: string): Generator<{ template: AssemblyTemplate; id: string; resource: CfnResource }> {
    for (const template of this.templates) {
      for (const [id, resource] of Object.entries(template.template.Resources ?? {})) {
        if (type === undefined || resource.Type === type) yield { template, id, resource };
      }
    }
  }

  /** The deployed stack name of a template: a nested stack's is `<parent>-<logical id>-<suffix>`. */
  stackName(template: AssemblyTemplate): string {
    if (!template.parent) return template.name;
    const parent = this.template(template.parent);
    const id = template.name.slice(template.parent.length + 1);
    return `${this.stackName(parent)}-${id}-${suffix(template.name, 12)}`.slice(0, 128);
  }

  /** The physical name of a resource: its own name property when set, else one made as CloudFormation does. */
  physicalName(template: AssemblyTemplate, id: string): string {
    const key = `${template.name}/${id}`;
    const known = this.names.get(key);
    if (known !== undefined) return known;
    const resource = this.resource(template, id);
    const property = NAME_PROPERTIES[resource.Type];
    const given = property ? resource.Properties?.[property] : undefined;
    let name: string;
    if (given !== undefined) {
      name = String(this.resolve(given, template));
    } else {
      const fifo =
        resource.Type === 'AWS::SQS::Queue' && this.isTrue(resource.Properties?.FifoQueue, template);
      const limit = (NAME_LIMITS[resource.Type] ?? 255) - (fifo ? '.fifo'.length : 0);
      const end = `-${suffix(key, 13)}`;
      name = `${this.stackName(template)}-${id}`.slice(0, limit - end.length) + end;
      if (resource.Type === 'AWS::S3::Bucket') name = name.toLowerCase();
      if (fifo) name += '.fifo';
    }
    this.names.set(key, name);
    return name;
  }

  private isTrue(value: unknown, template: AssemblyTemplate): boolean {
    const resolved = value === undefined ? undefined : this.resolve(value, template);
    return resolved === true || resolved === 'true';
  }

  private resource(template: AssemblyTemplate, id: string): CfnResource {
    const resource = template.template.Resources?.[id];
    if (!resource) throw new UnresolvableError(`${template.name} has no resource ${id}`);
    return resource;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<rest>` in this deployment. */
  arn(service: string, rest: string, options: { region?: boolean; account?: boolean } = {}): string {
    const region = options.region === false ? '' : this.target.region;
    const account = options.account === false ? '' : this.target.account;
    return `arn:${this.partition}:${service}:${region}:${account}:${rest}`;
  }

  /** A queue's URL, as SQS hands it out. */
  queueUrl(name: string): string {
    return `https://sqs.${this.target.region}.amazonaws.com/${this.target.account}/${name}`;
  }

  /** What `Ref` to a resource gives. */
  ref(template: AssemblyTemplate, id: string): string {
    const given = this.overrides.get(`${template.name}/${id}`)?.Ref;
    if (given !== undefined) return given;
    if (template.template.Parameters?.[id] !== undefined) return this.parameter(template, id);
    const resource = this.resource(template, id);
    const name = () => this.physicalName(template, id);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return this.queueUrl(name());
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::IAM::ManagedPolicy':
        return this.getAtt(template, id, 'Arn');
      case 'AWS::KMS::Key':
      case 'AWS::Lambda::EventSourceMapping':
      case 'AWS::ApiGateway::RestApi':
      case 'AWS::ApiGateway::ApiKey':
      case 'AWS::ApiGateway::Resource':
      case 'AWS::ApiGateway::Deployment':
      case 'AWS::ApiGatewayV2::Api':
        return uuid(`${template.name}/${id}`)
          .replace(/-/g, '')
          .slice(0, resource.Type.includes('ApiGateway') ? 10 : 32);
      default:
        return name();
    }
  }

  /** What `Fn::GetAtt` of a resource gives. */
  getAtt(template: AssemblyTemplate, id: string, attribute: string): string {
    const given = this.overrides.get(`${template.name}/${id}`)?.[attribute];
    if (given !== undefined) return given;
    const resource = this.resource(template, id);
    if (resource.Type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
      const nested = this.template(`${template.name}/${id}`);
      const output = nested.template.Outputs?.[attribute.slice('Outputs.'.length)] as
        | { Value: unknown }
        | undefined;
      if (!output) throw new UnresolvableError(`nested stack ${nested.name} has no output ${attribute}`);
      return String(this.resolve(output.Value, nested));
    }
    const name = () => this.physicalName(template, id);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::SQS::Queue.Arn':
        return this.arn('sqs', name());
      case 'AWS::SQS::Queue.QueueName':
        return name();
      case 'AWS::SQS::Queue.QueueUrl':
        return this.queueUrl(name());
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::DynamoDB::GlobalTable.Arn':
        return this.arn('dynamodb', `table/${name()}`);
      case 'AWS::DynamoDB::Table.StreamArn':
        return this.arn('dynamodb', `table/${name()}/stream/2026-01-01T00:00:00.000`);
      case 'AWS::S3::Bucket.Arn':
        return this.arn('s3', name(), { region: false, account: false });
      case 'AWS::S3::Bucket.DomainName':
        return `${name()}.s3.amazonaws.com`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name()}.s3.${this.target.region}.amazonaws.com`;
      case 'AWS::Lambda::Function.Arn':
        return this.arn('lambda', `function:${name()}`);
      case 'AWS::Lambda::EventSourceMapping.EventSourceMappingArn':
        return this.arn('lambda', `event-source-mapping:${this.ref(template, id)}`);
      case 'AWS::IAM::Role.Arn':
        return this.arn('iam', `role/${name()}`, { region: false });
      case 'AWS::IAM::Role.RoleId':
        return `AROA${suffix(`${template.name}/${id}`, 17)}`;
      case 'AWS::IAM::ManagedPolicy.Arn':
      case 'AWS::IAM::ManagedPolicy.PolicyArn':
        return this.arn('iam', `policy/${name()}`, { region: false });
      case 'AWS::Logs::LogGroup.Arn':
        return this.arn('logs', `log-group:${name()}:*`);
      case 'AWS::SNS::Topic.TopicArn':
      case 'AWS::SNS::Topic.Arn':
        return this.arn('sns', name());
      case 'AWS::SNS::Topic.TopicName':
        return name();
      case 'AWS::KMS::Key.Arn':
        return this.arn('kms', `key/${this.ref(template, id)}`);
      case 'AWS::KMS::Key.KeyId':
        return this.ref(template, id);
      case 'AWS::SecretsManager::Secret.Id':
      case 'AWS::SecretsManager::Secret.Arn':
        // Secrets Manager appends a hyphen and six random characters to a secret's name in its ARN.
        return this.arn('secretsmanager', `secret:${name()}-${suffix(name(), 6).toLowerCase()}`);
      case 'AWS::StepFunctions::StateMachine.Arn':
        return this.arn('states', `stateMachine:${name()}`);
      case 'AWS::StepFunctions::StateMachine.Name':
        return name();
      case 'AWS::Events::Rule.Arn':
        return this.arn('events', `rule/${name()}`);
      case 'AWS::CloudWatch::Alarm.Arn':
        return this.arn('cloudwatch', `alarm:${name()}`);
      case 'AWS::ApiGateway::RestApi.RootResourceId':
        return suffix(`${template.name}/${id}/root`, 10).toLowerCase();
      case 'AWS::ApiGateway::ApiKey.APIKeyId':
        return this.ref(template, id);
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${this.ref(template, id)}.execute-api.${this.target.region}.amazonaws.com`;
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return this.ref(template, id);
      default:
        throw new UnresolvableError(`Fn::GetAtt ${id}.${attribute} (${resource.Type}) in ${template.name}`);
    }
  }

  /** A parameter: a nested stack's from its parent's AWS::CloudFormation::Stack, else its default. */
  private parameter(template: AssemblyTemplate, name: string): string {
    if (template.parent) {
      const parent = this.template(template.parent);
      const id = template.name.slice(template.parent.length + 1);
      const given = (
        this.resource(parent, id).Properties?.Parameters as Record<string, unknown> | undefined
      )?.[name];
      if (given !== undefined) return String(this.resolve(given, parent));
    }
    const declared = template.template.Parameters?.[name] as { Default?: unknown } | undefined;
    if (declared?.Default !== undefined) return String(declared.Default);
    throw new UnresolvableError(`parameter ${name} of ${template.name} has no value`);
  }

  private pseudo(name: string, template: AssemblyTemplate): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.target.region;
      case 'AWS::AccountId':
        return this.target.account;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName(template);
      case 'AWS::StackId':
        return this.arn('cloudformation', `stack/${this.stackName(template)}/${uuid(template.name)}`);
      default:
        return undefined;
    }
  }

  private condition(name: string, template: AssemblyTemplate): boolean {
    const body = (template.template.Conditions as Record<string, unknown> | undefined)?.[name];
    if (body === undefined) throw new UnresolvableError(`condition ${name} of ${template.name}`);
    return this.resolve(body, template) === true;
  }

  /** `value` with every intrinsic replaced by its deployed value; `Fn::If`'s AWS::NoValue drops the key. */
  resolve(value: unknown, template: AssemblyTemplate): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolve(item, template)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [[key, argument]] = entries as [[string, unknown]];
      const intrinsic = this.intrinsic(key, argument, template);
      if (intrinsic !== NOT_INTRINSIC) return intrinsic;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolve(item, template);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(key: string, argument: unknown, template: AssemblyTemplate): unknown {
    const str = (item: unknown) => {
      const resolved = this.resolve(item, template);
      if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
        throw new UnresolvableError(`${key} needs a string, got ${JSON.stringify(resolved)}`);
      }
      return String(resolved);
    };
    switch (key) {
      case 'Ref': {
        const name = String(argument);
        if (name === 'AWS::NoValue') return NO_VALUE;
        return this.pseudo(name, template) ?? this.ref(template, name);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/);
        return this.getAtt(template, String(id), String(this.resolve(attribute, template)));
      }
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown];
        const list = this.resolve(items, template);
        if (!Array.isArray(list)) throw new UnresolvableError(`Fn::Join of ${JSON.stringify(list)}`);
        return list.map(String).join(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        const given = (this.resolve(variables, template) ?? {}) as Record<string, unknown>;
        return String(text).replace(/\$\{([^}!][^}]*)\}/g, (_match, name: string) => {
          if (name in given) return String(given[name]);
          const pseudo = this.pseudo(name, template);
          if (pseudo !== undefined) return pseudo;
          const [id, attribute] = name.split(/\.(.*)/) as [string, string | undefined];
          return attribute ? this.getAtt(template, id, attribute) : this.ref(template, id);
        });
      }
      case 'Fn::Select': {
        const [index, items] = argument as [unknown, unknown];
        const list = this.resolve(items, template) as unknown[];
        return list[Number(this.resolve(index, template))];
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return str(text).split(separator);
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
        return this.resolve(this.condition(condition, template) ? whenTrue : whenFalse, template);
      }
      case 'Fn::Equals': {
        const [left, right] = argument as [unknown, unknown];
        return JSON.stringify(this.resolve(left, template)) === JSON.stringify(this.resolve(right, template));
      }
      case 'Fn::Not':
        return !(this.resolve((argument as unknown[])[0], template) as boolean);
      case 'Fn::And':
        return (argument as unknown[]).every((item) => this.resolve(item, template) === true);
      case 'Fn::Or':
        return (argument as unknown[]).some((item) => this.resolve(item, template) === true);
      case 'Condition':
        return typeof argument === 'string' ? this.condition(argument, template) : NOT_INTRINSIC;
      case 'Fn::Base64':
        return Buffer.from(str(argument)).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.target.region}${zone}`);
      case 'Fn::FindInMap': {
        const [map, first, second] = (argument as unknown[]).map((item) => str(item));
        const mappings = template.template.Mappings as Record<
          string,
          Record<string, Record<string, unknown>>
        >;
        return mappings?.[map as string]?.[first as string]?.[second as string];
      }
      default:
        if (key.startsWith('Fn::')) throw new UnresolvableError(`${key} is not supported by the resolver`);
        return NOT_INTRINSIC;
    }
  }
}

const NO_VALUE = Symbol('AWS::NoValue');
const NOT_INTRINSIC = Symbol('not an intrinsic');

export type { CfnTemplate };
