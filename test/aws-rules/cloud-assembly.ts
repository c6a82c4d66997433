import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { createDeliveryApp } from '../../infra/delivery-app.js';
import type { Env } from '../../shared/config/env-names.js';
import { TEST_TARGET, testContext } from '../infra/synth.js';

/** A CloudFormation template as synthesized: the parts the checks read. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
  readonly [section: string]: unknown;
}

/** One resource of a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

/** One template of a cloud assembly: a top-level stack or a nested stack, found by walking. */
export interface AssemblyTemplate {
  /** The stack's name, or `<parent>/<logical id>` of a nested stack. */
  readonly name: string;
  readonly template: CfnTemplate;
  /** The template file's size in bytes, as CloudFormation receives it (the file cdk deploy uploads). */
  readonly bytes: number;
  /** The template of the stack that holds this one (undefined for a top-level stack). */
  readonly parent?: string;
}

/** A synthesized cloud assembly, its templates walked, removed from disk by `dispose`. */
export interface SynthesizedAssembly {
  readonly templates: readonly AssemblyTemplate[];
  readonly outdir: string;
  dispose(): void;
}

/** Where CDK writes a nested stack's template: metadata on its AWS::CloudFormation::Stack resource. */
const ASSET_PATH_METADATA = 'aws:asset:path';

/**
 * Every template of the assembly: each stack artifact and, recursively, each nested stack its
 * AWS::CloudFormation::Stack resources point to. Nothing depends on logical ids or stack layout.
 */
export function assemblyTemplates(outdir: string, stacks: readonly CloudFormationStackArtifact[]) {
  const found: AssemblyTemplate[] = [];
  const visit = (name: string, file: string, parent?: string) => {
    const text = readFileSync(file, 'utf8');
    const template = JSON.parse(text) as CfnTemplate;
    found.push({ name, template, bytes: statSync(file).size, ...(parent ? { parent } : {}) });
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::CloudFormation::Stack') continue;
      const asset = resource.Metadata?.[ASSET_PATH_METADATA];
      if (typeof asset !== 'string') {
        throw new Error(
          `nested stack ${name}/${id} has no ${ASSET_PATH_METADATA} metadata: cannot find its template`,
        );
      }
      visit(`${name}/${id}`, join(outdir, asset), name);
    }
  };
  for (const stack of stacks) visit(stack.stackName, join(outdir, stack.templateFile));
  return found;
}

/**
 * Synthesizes the app `cdk synth` builds (infra/delivery-app.ts, cdk-nag included) for a routes
 * file, into a temporary directory, and walks its templates. `env` adds to a user's environment
 * (a real backend for the default route).
 */
export function synthesizeRoutesFile(document: unknown, env: Env = {}): SynthesizedAssembly {
  const outdir = mkdtempSync(join(tmpdir(), 'gd-aws-rules-'));
  const routesFile = join(outdir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify(document));
  try {
    const { app } = createDeliveryApp(
      { CATERING_SERVICE_EP: TEST_TARGET, DELIVERY_CONFIG: routesFile, ...env },
      // Asset metadata, as the CDK CLI asks for it: it names each nested stack's template file.
      {
        context: { ...testContext(), 'aws:cdk:enable-asset-metadata': true },
        outdir: join(outdir, 'cdk.out'),
      },
    );
    const assembly = app.synth();
    const templates = assemblyTemplates(assembly.directory, assembly.stacks);
    return { templates, outdir, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}
