import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { COMPONENT_TAG, ROUTE_TAG } from '../../shared/config/component-tags.js';
import { ConfigurationError } from '../../shared/errors.js';

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
   * Files copied next to the bundle (the function reads them from its directory), e.g. a route's
   * JSON Schema file; each keeps its file name.
   * @default - none
   */
  readonly assetFiles?: readonly string[];
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
  public readonly functionLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: DeliveryFunctionProps) {
    const memorySize = props.memorySize ?? DEFAULT_MEMORY_MB;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new ConfigurationError(
        `DeliveryFunction ${id}: memorySize must be a whole number of MB from 128 to 10240, got ${memorySize}`,
      );
    }
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
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
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
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
                `node -e "require('node:fs').copyFileSync(process.argv[1], process.argv[2])" ${JSON.stringify(file)} ${JSON.stringify(join(outputDir, basename(file)))}`,
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
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    });
  }

  /** Sets every variable of an environment, e.g. one built by `routeEnvironments` (shared/config). */
  public addEnvironmentVariables(environment: Readonly<Record<string, string>>): this {
    for (const [name, value] of Object.entries(environment)) this.addEnvironment(name, value);
    return this;
  }
}
