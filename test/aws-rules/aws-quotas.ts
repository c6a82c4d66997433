// Over 300 lines: one table of AWS's quotas, each beside the page it comes from, and the one
// function per service that holds a synthesized assembly to them; splitting it would scatter the
// citations the reviewers check.
import type { AssemblyTemplate } from './cloud-assembly.js';
import type { DeploymentNames } from './deployment-names.js';

/**
 * AWS's quotas that a synthesized template can break, with the page each comes from. CloudFormation,
 * Lambda, IAM and SQS enforce these at deploy time (or on the first call); the emulator enforces none.
 */
export const AWS_QUOTAS = {
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html ("Resources": 500). */
  resourcesPerStack: 500,
  /**
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html ("Template body
   * size in an Amazon S3 object": 1 MB; cdk deploy uploads every template to S3). Counted as 1,000,000
   * bytes, the stricter reading of "1 MB".
   */
  templateBytes: 1_000_000,
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html ("Outputs": 200). */
  outputsPerStack: 200,
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html ("Parameters": 200). */
  parametersPerStack: 200,
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html ("Mappings": 200). */
  mappingsPerStack: 200,
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html (output, resource and parameter names: 255 characters). */
  logicalNameCharacters: 255,
  /**
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html ("Nested
   * stacks": 2,500 resources a stack and its nested stacks can create, update or delete per operation).
   */
  resourcesPerOperation: 2_500,
  /** https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html ("Environment variables": 4 KB, all of them together). */
  environmentBytes: 4_096,
  /** https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html ("Function memory allocation": 128 MB to 10,240 MB). */
  memoryMb: { min: 128, max: 10_240 },
  /** https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html ("Function timeout": 900 seconds). */
  timeoutSeconds: { min: 1, max: 900 },
  /** https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html ("Function resource-based policy": 20 KB). */
  functionResourcePolicyBytes: 20_480,
  /** https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (Description: at most 256 characters). */
  functionDescriptionCharacters: 256,
  /**
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html ("Role policy size cannot
   * exceed 10,240 characters": all inline policies of a role together; IAM does not count white space).
   */
  roleInlinePolicyCharacters: 10_240,
  /** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html ("Managed policy size cannot exceed 6,144 characters"). */
  managedPolicyCharacters: 6_144,
  /** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html ("Role trust policy length": 2,048 characters by default). */
  trustPolicyCharacters: 2_048,
  /** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html ("Managed policies attached to an IAM role": 10 by default). */
  managedPoliciesPerRole: 10,
  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (VisibilityTimeout 0 to 43,200 seconds, 12 hours). */
  visibilityTimeoutSeconds: 43_200,
  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (DelaySeconds 0 to 900). */
  delaySeconds: 900,
  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (MessageRetentionPeriod 60 to 1,209,600 seconds). */
  retentionSeconds: { min: 60, max: 1_209_600 },
  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html (RedrivePolicy maxReceiveCount 1 to 1,000). */
  maxReceiveCount: { min: 1, max: 1_000 },
  /** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html (queue policy: 8,192 bytes, 20 statements). */
  queuePolicy: { bytes: 8_192, statements: 20 },
  /** https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html (BatchSize: for FIFO queues the maximum is 10; standard 10,000). */
  sqsBatchSize: { fifo: 10, standard: 10_000 },
  /**
   * https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
   * (MaximumBatchingWindowInSeconds 0 to 300; a BatchSize over 10 needs a window of at least 1 s) and
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html ("Batching window is not
   * supported for FIFO queues").
   */
  batchingWindowSeconds: 300,
  /** https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html (MaximumConcurrency 2 to 1,000). */
  maximumConcurrency: { min: 2, max: 1_000 },
  /** https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (state machine definition: 1 MB). */
  stateMachineDefinitionBytes: 1_048_576,
} as const;

/** One quota a template breaks, said so that a reader knows where to look. */
export interface QuotaViolation {
  /** The template (stack or nested stack) and the resource, e.g. `GuaranteedDelivery/ArchiverFunction`. */
  readonly where: string;
  readonly quota: keyof typeof AWS_QUOTAS;
  readonly message: string;
}

type Resolved = Record<string, unknown>;

/** Lambda measures the environment as the JSON of its variables (its error message says "String measured: {...}"). */
export function lambdaEnvironmentBytes(variables: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(variables));
}

/** IAM's size of a policy document: its characters without white space. */
export function iamPolicyCharacters(document: unknown): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

/**
 * Every quota of {@link AWS_QUOTAS} checked on every template of the assembly (stacks and nested
 * stacks alike), after resolving the intrinsics to the values a deployment would have.
 */
export function checkQuotas(names: DeploymentNames): QuotaViolation[] {
  const violations: QuotaViolation[] = [];
  const add = (where: string, quota: keyof typeof AWS_QUOTAS, message: string) =>
    violations.push({ where, quota, message });
  let totalResources = 0;
  for (const template of names.templates) {
    totalResources += checkStack(template, add);
  }
  if (totalResources > AWS_QUOTAS.resourcesPerOperation) {
    add(
      names.templates[0]?.name ?? '(assembly)',
      'resourcesPerOperation',
      `${totalResources} resources in the stack and its nested stacks, more than the ${AWS_QUOTAS.resourcesPerOperation} one operation may touch`,
    );
  }
  checkFunctions(names, add);
  checkRoles(names, add);
  checkQueues(names, add);
  checkEventSourceMappings(names, add);
  checkStateMachines(names, add);
  return violations;
}

type Add = (where: string, quota: keyof typeof AWS_QUOTAS, message: string) => void;

function checkStack(assemblyTemplate: AssemblyTemplate, add: Add): number {
  const { template, name } = assemblyTemplate;
  const count = (section: unknown) => Object.keys((section as object | undefined) ?? {}).length;
  const resources = count(template.Resources);
  if (resources > AWS_QUOTAS.resourcesPerStack) {
    add(name, 'resourcesPerStack', `${resources} resources, more than ${AWS_QUOTAS.resourcesPerStack}`);
  }
  if (assemblyTemplate.bytes > AWS_QUOTAS.templateBytes) {
    add(
      name,
      'templateBytes',
      `template of ${assemblyTemplate.bytes} bytes, more than ${AWS_QUOTAS.templateBytes}`,
    );
  }
  const outputs = count(template.Outputs);
  if (outputs > AWS_QUOTAS.outputsPerStack) {
    add(name, 'outputsPerStack', `${outputs} outputs, more than ${AWS_QUOTAS.outputsPerStack}`);
  }
  const parameters = count(template.Parameters);
  if (parameters > AWS_QUOTAS.parametersPerStack) {
    add(name, 'parametersPerStack', `${parameters} parameters, more than ${AWS_QUOTAS.parametersPerStack}`);
  }
  const mappings = count(template.Mappings);
  if (mappings > AWS_QUOTAS.mappingsPerStack) {
    add(name, 'mappingsPerStack', `${mappings} mappings, more than ${AWS_QUOTAS.mappingsPerStack}`);
  }
  for (const section of ['Resources', 'Outputs', 'Parameters'] as const) {
    for (const id of Object.keys((template[section] as object | undefined) ?? {})) {
      if (id.length > AWS_QUOTAS.logicalNameCharacters) {
        add(`${name}/${id}`, 'logicalNameCharacters', `${section} name of ${id.length} characters`);
      }
    }
  }
  return resources;
}

function checkFunctions(names: DeploymentNames, add: Add): void {
  const permissionBytes = new Map<string, { where: string; bytes: number }>();
  for (const { template, id, resource } of names.resources('AWS::Lambda::Permission')) {
    const props = names.resolve(resource.Properties ?? {}, template) as Resolved;
    // The statement Lambda adds to the function's policy for this permission (AddPermission's shape).
    const statement = {
      Sid: id,
      Effect: 'Allow',
      Principal: { Service: props.Principal },
      Action: props.Action,
      Resource: props.FunctionName,
      ...(props.SourceArn ? { Condition: { ArnLike: { 'AWS:SourceArn': props.SourceArn } } } : {}),
    };
    const key = String(props.FunctionName);
    const entry = permissionBytes.get(key) ?? { where: `${template.name}/${key}`, bytes: 0 };
    entry.bytes += Buffer.byteLength(JSON.stringify(statement));
    permissionBytes.set(key, entry);
  }
  for (const { where, bytes } of permissionBytes.values()) {
    if (bytes > AWS_QUOTAS.functionResourcePolicyBytes) {
      add(
        where,
        'functionResourcePolicyBytes',
        `resource-based policy of about ${bytes} bytes, more than ${AWS_QUOTAS.functionResourcePolicyBytes}`,
      );
    }
  }
  for (const { template, id, resource } of names.resources('AWS::Lambda::Function')) {
    const where = `${template.name}/${id}`;
    const props = resource.Properties ?? {};
    const environment = props.Environment as { Variables?: unknown } | undefined;
    if (environment?.Variables !== undefined) {
      const variables = names.resolve(environment.Variables, template) as Resolved;
      const bytes = lambdaEnvironmentBytes(variables);
      if (bytes > AWS_QUOTAS.environmentBytes) {
        const largest = Object.entries(variables)
          .map(([key, value]) => [key, JSON.stringify(value).length] as const)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([key, size]) => `${key} ${size}`)
          .join(', ');
        add(
          where,
          'environmentBytes',
          `environment of ${bytes} bytes, more than ${AWS_QUOTAS.environmentBytes} (largest: ${largest})`,
        );
      }
    }
    const memory = Number(names.resolve(props.MemorySize ?? 128, template));
    if (memory < AWS_QUOTAS.memoryMb.min || memory > AWS_QUOTAS.memoryMb.max) {
      add(
        where,
        'memoryMb',
        `memory ${memory} MB outside ${AWS_QUOTAS.memoryMb.min}-${AWS_QUOTAS.memoryMb.max}`,
      );
    }
    const timeout = Number(names.resolve(props.Timeout ?? 3, template));
    if (timeout < AWS_QUOTAS.timeoutSeconds.min || timeout > AWS_QUOTAS.timeoutSeconds.max) {
      add(
        where,
        'timeoutSeconds',
        `timeout ${timeout} s outside ${AWS_QUOTAS.timeoutSeconds.min}-${AWS_QUOTAS.timeoutSeconds.max}`,
      );
    }
    const description =
      props.Description === undefined ? '' : String(names.resolve(props.Description, template));
    if (description.length > AWS_QUOTAS.functionDescriptionCharacters) {
      add(where, 'functionDescriptionCharacters', `description of ${description.length} characters`);
    }
  }
}

/** A role's identity, wherever a policy names it: its logical id within a template, or its resolved name. */
function roleKey(names: DeploymentNames, template: AssemblyTemplate, reference: unknown): string {
  return String(names.resolve(reference, template));
}

function checkRoles(names: DeploymentNames, add: Add): void {
  const inline = new Map<string, number>();
  const managed = new Map<string, number>();
  for (const { template, id, resource } of names.resources('AWS::IAM::Role')) {
    const key = names.physicalName(template, id);
    const props = resource.Properties ?? {};
    const own = (props.Policies as { PolicyDocument: unknown }[] | undefined) ?? [];
    inline.set(
      key,
      own.reduce(
        (sum, policy) => sum + iamPolicyCharacters(names.resolve(policy.PolicyDocument, template)),
        0,
      ),
    );
    managed.set(key, ((props.ManagedPolicyArns as unknown[] | undefined) ?? []).length);
    const trust = iamPolicyCharacters(names.resolve(props.AssumeRolePolicyDocument ?? {}, template));
    if (trust > AWS_QUOTAS.trustPolicyCharacters) {
      add(`${template.name}/${id}`, 'trustPolicyCharacters', `trust policy of ${trust} characters`);
    }
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::RolePolicy'] as const) {
    for (const { template, resource } of names.resources(type)) {
      const props = resource.Properties ?? {};
      const size = iamPolicyCharacters(names.resolve(props.PolicyDocument, template));
      const roles =
        type === 'AWS::IAM::Policy' ? ((props.Roles as unknown[] | undefined) ?? []) : [props.RoleName];
      for (const role of roles) {
        const key = roleKey(names, template, role);
        inline.set(key, (inline.get(key) ?? 0) + size);
      }
    }
  }
  for (const { template, id, resource } of names.resources('AWS::IAM::ManagedPolicy')) {
    const props = resource.Properties ?? {};
    const size = iamPolicyCharacters(names.resolve(props.PolicyDocument, template));
    if (size > AWS_QUOTAS.managedPolicyCharacters) {
      add(
        `${template.name}/${id}`,
        'managedPolicyCharacters',
        `managed policy of ${size} characters, more than ${AWS_QUOTAS.managedPolicyCharacters}`,
      );
    }
    for (const role of (props.Roles as unknown[] | undefined) ?? []) {
      const key = roleKey(names, template, role);
      managed.set(key, (managed.get(key) ?? 0) + 1);
    }
  }
  for (const [role, size] of inline) {
    if (size > AWS_QUOTAS.roleInlinePolicyCharacters) {
      add(
        role,
        'roleInlinePolicyCharacters',
        `inline policies of ${size} characters together, more than ${AWS_QUOTAS.roleInlinePolicyCharacters}`,
      );
    }
  }
  for (const [role, count] of managed) {
    if (count > AWS_QUOTAS.managedPoliciesPerRole) {
      add(
        role,
        'managedPoliciesPerRole',
        `${count} managed policies attached, more than ${AWS_QUOTAS.managedPoliciesPerRole}`,
      );
    }
  }
}

function checkQueues(names: DeploymentNames, add: Add): void {
  for (const { template, id, resource } of names.resources('AWS::SQS::Queue')) {
    const where = `${template.name}/${id}`;
    const props = names.resolve(resource.Properties ?? {}, template) as Resolved;
    const number = (key: string) => (props[key] === undefined ? undefined : Number(props[key]));
    const visibility = number('VisibilityTimeout');
    if (visibility !== undefined && (visibility < 0 || visibility > AWS_QUOTAS.visibilityTimeoutSeconds)) {
      add(
        where,
        'visibilityTimeoutSeconds',
        `VisibilityTimeout ${visibility} s, more than ${AWS_QUOTAS.visibilityTimeoutSeconds}`,
      );
    }
    const delay = number('DelaySeconds');
    if (delay !== undefined && (delay < 0 || delay > AWS_QUOTAS.delaySeconds)) {
      add(where, 'delaySeconds', `DelaySeconds ${delay}, more than ${AWS_QUOTAS.delaySeconds}`);
    }
    const retention = number('MessageRetentionPeriod');
    if (
      retention !== undefined &&
      (retention < AWS_QUOTAS.retentionSeconds.min || retention > AWS_QUOTAS.retentionSeconds.max)
    ) {
      add(
        where,
        'retentionSeconds',
        `MessageRetentionPeriod ${retention} s outside ${AWS_QUOTAS.retentionSeconds.min}-${AWS_QUOTAS.retentionSeconds.max}`,
      );
    }
    const redrive = props.RedrivePolicy as { maxReceiveCount?: unknown } | undefined;
    const receives = redrive?.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount);
    if (
      receives !== undefined &&
      (receives < AWS_QUOTAS.maxReceiveCount.min || receives > AWS_QUOTAS.maxReceiveCount.max)
    ) {
      add(
        where,
        'maxReceiveCount',
        `maxReceiveCount ${receives} outside ${AWS_QUOTAS.maxReceiveCount.min}-${AWS_QUOTAS.maxReceiveCount.max}`,
      );
    }
  }
  for (const { template, id, resource } of names.resources('AWS::SQS::QueuePolicy')) {
    const document = names.resolve(resource.Properties?.PolicyDocument, template) as {
      Statement?: unknown[];
    };
    const bytes = Buffer.byteLength(JSON.stringify(document));
    const statements = document.Statement?.length ?? 0;
    if (bytes > AWS_QUOTAS.queuePolicy.bytes || statements > AWS_QUOTAS.queuePolicy.statements) {
      add(
        `${template.name}/${id}`,
        'queuePolicy',
        `queue policy of ${bytes} bytes and ${statements} statements, more than ${AWS_QUOTAS.queuePolicy.bytes} bytes or ${AWS_QUOTAS.queuePolicy.statements} statements`,
      );
    }
  }
}

/** The queue an event source ARN names, found among the assembly's queues by its resolved ARN. */
function queueByArn(names: DeploymentNames, arn: string): Resolved | undefined {
  for (const { template, id, resource } of names.resources('AWS::SQS::Queue')) {
    if (names.getAtt(template, id, 'Arn') === arn)
      return names.resolve(resource.Properties ?? {}, template) as Resolved;
  }
  return undefined;
}

function checkEventSourceMappings(names: DeploymentNames, add: Add): void {
  for (const { template, id, resource } of names.resources('AWS::Lambda::EventSourceMapping')) {
    const where = `${template.name}/${id}`;
    const props = names.resolve(resource.Properties ?? {}, template) as Resolved;
    const arn = String(props.EventSourceArn ?? '');
    if (!arn.startsWith(`arn:${names.partition}:sqs:`)) continue;
    const queue = queueByArn(names, arn);
    const fifo = queue?.FifoQueue === true || queue?.FifoQueue === 'true' || arn.endsWith('.fifo');
    const batchSize = props.BatchSize === undefined ? 10 : Number(props.BatchSize);
    const window =
      props.MaximumBatchingWindowInSeconds === undefined ? 0 : Number(props.MaximumBatchingWindowInSeconds);
    const limit = fifo ? AWS_QUOTAS.sqsBatchSize.fifo : AWS_QUOTAS.sqsBatchSize.standard;
    if (batchSize < 1 || batchSize > limit) {
      add(
        where,
        'sqsBatchSize',
        `BatchSize ${batchSize} on a ${fifo ? 'FIFO' : 'standard'} queue, more than ${limit}`,
      );
    }
    if (fifo && window > 0) {
      add(
        where,
        'batchingWindowSeconds',
        `MaximumBatchingWindowInSeconds ${window} on a FIFO queue, which has no batching window`,
      );
    }
    if (window > AWS_QUOTAS.batchingWindowSeconds || (!fifo && batchSize > 10 && window < 1)) {
      add(
        where,
        'batchingWindowSeconds',
        `MaximumBatchingWindowInSeconds ${window} with BatchSize ${batchSize}`,
      );
    }
    const scaling = props.ScalingConfig as { MaximumConcurrency?: unknown } | undefined;
    if (scaling?.MaximumConcurrency !== undefined) {
      const concurrency = Number(scaling.MaximumConcurrency);
      if (
        concurrency < AWS_QUOTAS.maximumConcurrency.min ||
        concurrency > AWS_QUOTAS.maximumConcurrency.max
      ) {
        add(
          where,
          'maximumConcurrency',
          `MaximumConcurrency ${concurrency} outside ${AWS_QUOTAS.maximumConcurrency.min}-${AWS_QUOTAS.maximumConcurrency.max}`,
        );
      }
    }
  }
}

function checkStateMachines(names: DeploymentNames, add: Add): void {
  for (const { template, id, resource } of names.resources('AWS::StepFunctions::StateMachine')) {
    const props = names.resolve(resource.Properties ?? {}, template) as Resolved;
    const definition =
      typeof props.DefinitionString === 'string'
        ? props.DefinitionString
        : JSON.stringify(props.Definition ?? {});
    const bytes = Buffer.byteLength(definition);
    if (bytes > AWS_QUOTAS.stateMachineDefinitionBytes) {
      add(
        `${template.name}/${id}`,
        'stateMachineDefinitionBytes',
        `definition of ${bytes} bytes, more than ${AWS_QUOTAS.stateMachineDefinitionBytes}`,
      );
    }
  }
}
