import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { COMPONENT_TAG, ROUTE_TAG } from '../../shared/config/component-tags.js';
import { ENV } from '../../shared/config/env-names.js';
import { ConfigurationError } from '../../shared/errors.js';

/**
 * Context key (set on the stack) that turns active X-Ray tracing of every function on or off at once
 * (operations' TRACING; active tracing is billed per trace recorded).
 */
export const TRACING_CONTEXT = 'guaranteed-delivery:tracing';

/** The repository root: entries, the lock file and esbuild's working directory are all resolved from it. */
const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The folders under `functions/` that hold a Lambda handler. */
export type DeliveryFunctionName = 'ingest' | 'forwarder' | 'drainer' | 'archiver';

/** Every function's memory unless a caller says otherwise (see {@link DeliveryFunctionProps.memorySize}). */
export const DEFAULT_MEMORY_MB = 256;
/** Every function's timeout unless a caller says otherwise. */
export const DEFAULT_TIMEOUT = Duration.seconds(10);
/** How long function logs are kept. */
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** A file copied into a function's asset. */
export interface AssetFile {
  /** Absolute path of the file at synth time. */
  readonly source: string;
  /** Path inside the asset, relative to the bundle (folders are created). */
  readonly target: string;
}

/** Copies a file, creating the target's folder: run with node so synth works the same on every platform. */
const COPY_FILE =
  "const fs=require('node:fs'),path=require('node:path');fs.mkdirSync(path.dirname(process.argv[2]),{recursive:true});fs.copyFileSync(process.argv[1],process.argv[2])";

/** Properties of a {@link DeliveryFunction}. */
export interface DeliveryFunctionProps {
  /** Which function to bundle: the entry is `functions/<name>/<handlerFile>`, its export `handler`. */
  readonly name: DeliveryFunctionName;
  /**
   * The entry file in `functions/<name>/`: another handler of the same function, bundling only
   * what it needs (a breaker route's forwarder holds the Lambda client; the others do not).
   * @default 'handler.ts'
   */
  readonly handlerFile?: string;
  /**
   * Human-readable description shown in the console.
   * @default - none
   */
  readonly description?: string;
  /**
   * Memory in MB. Lambda gives CPU in proportion to memory; 256 MB keeps cold starts of these small
   * bundles (SDK clients, zod, Powertools) short while the work itself is I/O-bound.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Function timeout.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables; names should come from `ENV` (shared/config/env-names.ts).
   * @default - only NODE_OPTIONS (source maps)
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted. Logs hold ids and statuses, not
   * payloads, so they need not outlive the service.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Files copied into the asset beside the bundle (the function reads them from its directory), e.g.
   * the route table and the routes' JSON Schema files: `source` (absolute) → `target` (relative).
   * @default - none
   */
  readonly assetFiles?: readonly AssetFile[];
  /**
   * The function's name, when others derive it (a route's forwarder: shared/resource-names.ts).
   * @default - a name CloudFormation generates
   */
  readonly functionName?: string;
  /**
   * The log group the function writes to, when several share one (the forwarders).
   * @default - a log group of its own, with {@link logRetention} and {@link logRemovalPolicy}
   */
  readonly logGroup?: ILogGroup;
  /**
   * The route the function serves, written as its `gd:route` tag (with `gd:component`, its name).
   * @default - none: the function serves every route
   */
  readonly route?: string;
  /**
   * Lambda's own retries of a failed asynchronous invocation (scheduled events).
   * @default - Lambda's default (2)
   */
  readonly retryAttempts?: number;
}

/**
 * The one function factory: every Lambda of the service gets the same runtime,
 * architecture, tracing, source maps, bundling and an explicit log group with retention.
 *
 * Its role is created here without the AWSLambdaBasicExecutionRole managed policy: the function
 * may write to its own log group only (`logGroup.grantWrite`), and everything else comes from the
 * `grant*` calls of whoever wires it.
 */
export class DeliveryFunction extends NodejsFunction {
  /** The function's log group (retention and removal policy set here, not by Lambda's defaults). */
  public readonly functionLogGroup: ILogGroup;

  constructor(scope: Construct, id: string, props: DeliveryFunctionProps) {
    const memorySize = props.memorySize ?? DEFAULT_MEMORY_MB;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new ConfigurationError(
        `DeliveryFunction ${id}: memorySize must be a whole number of MB from 128 to 10240, got ${memorySize}`,
      );
    }
    const logGroup =
      props.logGroup ??
      new LogGroup(scope, `${id}LogGroup`, {
        retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
        removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
      });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.name} function`,
    });
    super(scope, id, {
      entry: join(PROJECT_ROOT, 'functions', props.name, props.handlerFile ?? 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      // Lambda caps descriptions at 256 characters; a route's target URL may be long.
      description: props.description?.slice(0, 256),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      // Active X-Ray only when the stack asks for it (TRACING=active): Lambda's default otherwise.
      ...(scope.node.tryGetContext(TRACING_CONTEXT) === true ? { tracing: Tracing.ACTIVE } : {}),
      role,
      logGroup,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      retryAttempts: props.retryAttempts,
      environment: {
        // Stack traces point into the TypeScript sources, not the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        // The repository is "type": "module", but the asset holds index.js alone: as CJS it loads with
        // no package.json beside it, and the dependencies' own require() calls need no createRequire banner.
        format: OutputFormat.CJS,
        target: 'node24',
        // Prefer the packages' ES module builds: esbuild can tree-shake them (about a fifth smaller
        // bundles, mostly the AWS SDK) and still emits CJS.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Mappings alone give readable stack traces; the embedded sources would double the asset.
        sourcesContent: false,
        // Bundle everything, the AWS SDK included: the version tested is the version deployed, and
        // a bundled, tree-shaken SDK loads faster than the runtime's full copy.
        externalModules: [],
        // Local esbuild (a devDependency) only: synth must work without Docker.
        forceDockerBundling: false,
        // Copied with node rather than cp so synth works the same on every platform.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            (props.assetFiles ?? []).map(
              (file) =>
                `node -e "${COPY_FILE}" ${JSON.stringify(file.source)} ${JSON.stringify(join(outputDir, file.target))}`,
            ),
        },
      },
    });
    this.functionLogGroup = logGroup;
    // Which part of the service this is (and for which route): the contract of shared/config/component-tags.ts.
    // The function alone: its event source mapping and other children keep their own properties.
    const functionOnly = { includeResourceTypes: ['AWS::Lambda::Function'] };
    Tags.of(this).add(COMPONENT_TAG, props.name, functionOnly);
    if (props.route !== undefined) Tags.of(this).add(ROUTE_TAG, props.route, functionOnly);
    logGroup.grantWrite(role);
    // Scoped to this role; the infra tests pin every grant, so no other wildcard can hide behind it.
    if (scope.node.tryGetContext(TRACING_CONTEXT) !== true) return;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });
  }

  /**
   * Sets the function's configuration document (shared/config/function-config.ts): one variable,
   * whose CloudFormation references are resolved at deploy time. Refused here, with the reason, when
   * it could pass Lambda's 4 KB limit on a function's environment.
   */
  public setConfigDocument(document: unknown, what: string): this {
    const value = Stack.of(this).toJsonString(document);
    this.addEnvironment(ENV.FUNCTION_CONFIG, value);
    const bytes = estimatedEnvironmentBytes(Stack.of(this).resolve(value), ENV.FUNCTION_CONFIG);
    if (bytes > MAX_ENVIRONMENT_BYTES) {
      throw new ConfigurationError(
        `${what}: its configuration document would take about ${bytes} bytes of the function's environment, over Lambda's ${MAX_ENVIRONMENT_BYTES}-byte limit; shorten it (long static headers? move them to a Secrets Manager secret: {"secret": ...})`,
      );
    }
    return this;
  }
}

/**
 * Lambda's limit on a function's environment variables, all together: 4 KB ("Lambda quotas",
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export const MAX_ENVIRONMENT_BYTES = 4096;

/**
 * How long a reference can resolve to, at most, in the estimate: a table name or an ARN (CloudFormation
 * names a table `<stack>-<id>-<suffix>`, at most 255 characters; an account id, a region and a domain are shorter).
 */
const REFERENCE_ALLOWANCE = 255;

/**
 * Bytes a variable takes once deployed, estimated from its synthesized value: literal text counts
 * as it is (escaped as JSON, as Lambda measures the variables), each reference as the longest value
 * it could resolve to, plus the variable's name.
 */
export function estimatedEnvironmentBytes(resolved: unknown, name: string): number {
  const size = (value: unknown): number => {
    if (typeof value === 'string') return JSON.stringify(value).length - 2;
    if (Array.isArray(value)) return value.reduce((sum: number, part) => sum + size(part), 0);
    if (typeof value === 'object' && value !== null) {
      const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
      if (join) return size(join[1]);
      return REFERENCE_ALLOWANCE;
    }
    return String(value).length;
  };
  return name.length + size(resolved);
}
