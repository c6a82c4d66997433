import { readFileSync } from 'node:fs';
import { App, CfnElement, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { GuaranteedDeliveryStackProps } from '../../infra/guaranteed-delivery-props.js';
import { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { ENV, type Env } from '../../shared/config/env-names.js';

/** The feature flags of cdk.json: `cdk synth` applies them, so the tests must too. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/**
 * Context for a test app. Bundling is skipped unless asked for: it does not change the template
 * (only asset hashes), and esbuild is the slow part of a synth. bundling.test.ts bundles for real.
 */
export function testContext(options: { bundle?: boolean } = {}): Record<string, unknown> {
  return { ...CDK_JSON_CONTEXT, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) };
}

/** A backend URL that is not the reference's fake one. */
export const TEST_TARGET = 'https://backend.example.com/catering';

export { ORDERS_ROUTE } from '../support/route-fixtures.js';

/** A stack and its template, synthesized without cdk-nag (cdk-nag.test.ts checks the real app). */
export interface SynthesizedStack {
  readonly stack: GuaranteedDeliveryStack;
  readonly template: Template;
}

/** Builds the stack in a fresh app with cdk.json's context and synthesizes its template. */
export function synthStack(
  props: Partial<GuaranteedDeliveryStackProps> & Pick<GuaranteedDeliveryStackProps, 'config'>,
  options: { bundle?: boolean; outdir?: string } = {},
): SynthesizedStack {
  const app = new App({ context: testContext(options), outdir: options.outdir });
  const stack = new GuaranteedDeliveryStack(app, 'TestDelivery', props);
  return { stack, template: flattenedTemplate(stack) };
}

type Json = Record<string, unknown>;

/** Replaces, everywhere in `value`, each object `replace` gives a substitute for. */
function substitute(value: unknown, replace: (node: Json) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => substitute(item, replace));
  if (typeof value !== 'object' || value === null) return value;
  const replaced = replace(value as Json);
  if (replaced !== undefined) return replaced;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, replace)]));
}

/**
 * The stack's template with every nested stack's resources merged in (the routes live in nested
 * stacks, docs/scaling.md), as if they were one template: a nested stack's parameters are replaced
 * by what the parent passes them, and the parent's reads of a nested stack's outputs by the output's
 * value. Each resource keeps its logical id in its own template (what {@link idOf} gives); a group's
 * resource whose id another group uses too gets the group's nested-stack id after it.
 */
export function flattenedTemplate(stack: Stack): Template {
  const main = Template.fromStack(stack).toJSON() as Json;
  const resources = { ...(main.Resources as Record<string, Json>) };
  const nestedOutputs = new Map<string, Json>();
  const merge = (parent: Stack, parentResources: Record<string, Json>) => {
    for (const child of parent.node.findAll()) {
      if (!(child instanceof NestedStack) || child.nestedStackParent !== parent) continue;
      const resourceId = parent.getLogicalId(child.nestedStackResource as CfnElement);
      const parameters = (parentResources[resourceId]?.Properties as Json | undefined)?.Parameters as
        | Json
        | undefined;
      const nested = substitute(Template.fromStack(child).toJSON(), (node) => {
        const ref = node.Ref;
        return typeof ref === 'string' && parameters && ref in parameters ? parameters[ref] : undefined;
      }) as Json;
      for (const [id, resource] of Object.entries((nested.Resources as Record<string, Json>) ?? {})) {
        resources[id in resources ? `${id}${resourceId}` : id] = resource;
      }
      for (const [id, output] of Object.entries((nested.Outputs as Record<string, Json>) ?? {})) {
        nestedOutputs.set(`${resourceId}.Outputs.${id}`, output.Value as Json);
      }
      merge(child, nested.Resources as Record<string, Json>);
    }
  };
  merge(stack, resources);
  const readsOutput = (node: Json) => {
    const getAtt = node['Fn::GetAtt'] as [string, string] | undefined;
    return getAtt ? nestedOutputs.get(`${getAtt[0]}.${getAtt[1]}`) : undefined;
  };
  const flattened = substitute({ ...main, Resources: resources }, readsOutput) as Json;
  return Template.fromJSON(flattened, { skipCyclicalDependenciesCheck: true });
}

/** The environment a user would set: a real backend, everything else default. */
export function userEnv(overrides: Env = {}): Env {
  return { CATERING_SERVICE_EP: TEST_TARGET, ...overrides };
}

/** CloudFormation resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

/** The part of a template resource the tests read. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** A function's environment variables as written in the template (values may be references). */
export function environmentOf(template: Template, functionId: string): Record<string, unknown> {
  const fn = resourcesOf(template, 'AWS::Lambda::Function')[functionId];
  const environment = fn?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined;
  if (!environment?.Variables) throw new Error(`function ${functionId} has no environment`);
  return environment.Variables;
}

/** Logical id of the CloudFormation resource behind an L2 construct (its default child). */
export function idOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
}

/** One cdk-nag finding. */
export interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

/** What AwsSolutionsChecks reports on the app; `raw` ignores every acknowledgement. */
export function findingsOf(app: IConstruct, options: { raw?: boolean } = {}): Finding[] {
  // Synthesized first, as `cdk synth` checks it: references between a stack and its nested stacks
  // become the nested stacks' parameters only then, and the findings name them so.
  (Stage.isStage(app) ? app : Stage.of(app))?.synth();
  const pack = new AwsSolutionsChecks(app);
  if (options.raw) {
    // cdk-nag has no switch for it: shadow its acknowledgement lookup to see what was acknowledged.
    Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
  }
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity ?? 'error',
      path: resource.constructPath ?? '',
    })),
  );
}

/** A reference as it stands in a resolved document: `@Ref(Id)`, `@GetAtt(Id.Attr)`, `@Region`, ... */
function standIn(value: unknown): string {
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined) return ref.startsWith('AWS::') ? `@${ref.slice(5)}` : `@Ref(${ref})`;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return `@GetAtt(${getAtt.join('.')})`;
  return `@${JSON.stringify(value).replaceAll('"', "'")}`;
}

/**
 * A function's configuration document (FUNCTION_CONFIG) as written in the template, parsed, with
 * each CloudFormation reference in it replaced by a readable stand-in (see {@link standIn}).
 */
export function configDocumentOf(template: Template, functionId: string): Record<string, unknown> {
  const value = environmentOf(template, functionId)[ENV.FUNCTION_CONFIG];
  const text = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const join = (part as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(text).join(join[0]);
    return standIn(part);
  };
  return JSON.parse(text(value));
}
