import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { forwarderDocument, functionEnvironment } from '../shared/config/function-config.js';
import { routeTableOf } from '../shared/config/route-document.js';
import { ROUTE_TABLE_FILE } from '../shared/config/route-table.js';
import { DEFAULT_ROUTE } from '../shared/config/routes.js';
import type { BenchContext } from './context.js';
import { median } from './stats.js';

const run = promisify(execFile);
const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The stack part of every dummy document: names only, nothing is called at init. */
const DUMMY_STACK = {
  failoverTable: 'dummy-failover',
  messageTable: 'dummy-messages',
  queues: { namePrefix: 'dummy', urlBase: 'https://sqs.us-east-1.amazonaws.com/000000000000/' },
};

/** The route of the forwarders' documents. */
const DUMMY_ROUTE = { ...DEFAULT_ROUTE, target: 'http://127.0.0.1:9/catering' };

/**
 * A folder holding a route table of `count` routes (what the stack puts beside the ingest's and the
 * drainer's bundles), for LAMBDA_TASK_ROOT: the table is read and checked at init.
 */
async function routeTableFolder(parent: string, count: number): Promise<string> {
  const folder = join(parent, `route-table-${count}`);
  await mkdir(folder, { recursive: true });
  const routes = Array.from({ length: count }, (_, i) => ({
    ...DUMMY_ROUTE,
    name: `route-${i}`,
    path: `/in/route-${i}`,
  }));
  await writeFile(join(folder, ROUTE_TABLE_FILE), JSON.stringify(routeTableOf(routes)));
  return folder;
}

/**
 * The bundles measured: each function's handler, and a breaker route's forwarder, whose own handler
 * also holds the Lambda client (the price of a breaker, paid only by the routes that have one).
 */
const FUNCTIONS = [
  { fn: 'ingest', entry: 'ingest/handler.ts', env: functionEnvironment({ stack: DUMMY_STACK }) },
  {
    fn: 'forwarder',
    entry: 'forwarder/handler.ts',
    env: functionEnvironment(forwarderDocument(DUMMY_STACK, DUMMY_ROUTE)),
  },
  {
    fn: 'forwarder with breaker',
    entry: 'forwarder/breaker-handler.ts',
    env: {
      ...functionEnvironment(
        forwarderDocument(DUMMY_STACK, { ...DUMMY_ROUTE, breaker: { failures: 5, probeSeconds: 30 } }),
      ),
      AWS_LAMBDA_FUNCTION_NAME: 'bench-forwarder',
    },
  },
  { fn: 'drainer', entry: 'drainer/handler.ts', env: functionEnvironment({ stack: DUMMY_STACK }) },
];

/**
 * esbuild options as infra/constructs/delivery-function.ts gives NodejsFunction: CJS, node24,
 * module-first main fields, minified, linked source map without sources, everything bundled (the
 * AWS SDK too), for a Node platform. Kept in step by hand: the construct does not export them.
 */
const STACK_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  logLevel: 'silent',
};

/** The SDK packages whose clients a function constructs; the baseline bundles only these. */
const SDK_CLIENTS = {
  '@aws-sdk/client-sqs': "import { SQSClient } from '@aws-sdk/client-sqs';\nclients.push(new SQSClient({}));",
  '@aws-sdk/client-dynamodb':
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nclients.push(new DynamoDBClient({}));",
  '@aws-sdk/lib-dynamodb':
    "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nclients.push(DynamoDBDocumentClient.from(new DynamoDBClient({})));",
} as const;

/** What every handler is given beside its document; nothing is called at init. */
const DUMMY_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'dummy',
  AWS_SECRET_ACCESS_KEY: 'dummy',
  // As the stack sets it (DeliveryFunction's environment).
  NODE_OPTIONS: '--enable-source-maps',
};

/** Child script: require the bundle, time it in-process, check it exports a handler. */
const MEASURE = [
  "const { performance } = require('node:perf_hooks');",
  'const t0 = performance.now();',
  'const c0 = process.cpuUsage();',
  'const mod = require(process.env.BENCH_BUNDLE);',
  'const cpu = process.cpuUsage(c0);',
  'const ms = performance.now() - t0;',
  "if (typeof mod.handler !== 'function') throw new Error('no handler export');",
  'process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }));',
].join('\n');

export interface BundleFigure {
  readonly name: string;
  readonly bytes: number;
  readonly initMsRuns: number[];
  readonly medianInitMs: number;
  /**
   * CPU time (user + system) of the same require, per run. On a shared, loaded machine the wall time
   * mostly measures waiting for a core; the CPU time is the work the bundle's initialisation does.
   */
  readonly initCpuMsRuns: number[];
  readonly medianInitCpuMs: number;
}

export interface ColdStartPair {
  readonly function: string;
  readonly sdkClients: string[];
  readonly handler: BundleFigure;
  readonly baseline: BundleFigure;
  /** Median over runs of handler / baseline init time, measured back to back. */
  readonly initRatio: number;
  /** Median over runs of handler / baseline init CPU time. */
  readonly initCpuRatio: number;
  readonly sizeRatio: number;
}

/** The ingest's init with a route table of some routes: it reads and checks the table at cold start. */
export interface RouteTableInitFigure {
  readonly routes: number;
  readonly initMsRuns: number[];
  readonly medianInitMs: number;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly nodeVersion: string;
  readonly pairs: ColdStartPair[];
  /** The ingest bundle's init per size of its route table (body schemas compile on first use). */
  readonly ingestRouteTables: RouteTableInitFigure[];
}

/** Route table sizes the ingest's init is measured with. */
const ROUTE_TABLE_SIZES = [1, 25, 200];

/**
 * Figure 5: each function bundled as the stack bundles it, next to a baseline bundle that only
 * imports and constructs the same AWS SDK clients; size on disk and module initialisation time
 * (require of the bundle, timed inside a fresh node process, several runs, median).
 */
export async function benchColdStart(ctx: BenchContext): Promise<ColdStartResult> {
  const runs = ctx.quick ? 3 : 15;
  const dir = await mkdtemp(join(tmpdir(), 'gd-bench-bundles-'));
  try {
    const bundles: {
      fn: string;
      kind: 'handler' | 'baseline';
      file: string;
      sdk: string[];
      env: Record<string, string>;
    }[] = [];
    for (const { fn, entry, env } of FUNCTIONS) {
      const outfile = join(dir, fn, 'index.js');
      const result = await build({
        ...STACK_BUILD_OPTIONS,
        absWorkingDir: PROJECT_ROOT,
        entryPoints: [join(PROJECT_ROOT, 'functions', entry)],
        outfile,
        metafile: true,
      });
      const inputs = Object.keys(result.metafile.inputs);
      const sdk = Object.keys(SDK_CLIENTS).filter((pkg) =>
        inputs.some((input) => input.includes(`node_modules/${pkg}/`)),
      );
      bundles.push({ fn, kind: 'handler', file: outfile, sdk, env });
      const baselineFile = join(dir, `${fn}-baseline`, 'index.js');
      const needsDynamoDbImport =
        sdk.includes('@aws-sdk/lib-dynamodb') && !sdk.includes('@aws-sdk/client-dynamodb');
      await build({
        ...STACK_BUILD_OPTIONS,
        absWorkingDir: PROJECT_ROOT,
        stdin: {
          contents: [
            'const clients: unknown[] = [];',
            ...(needsDynamoDbImport ? ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';"] : []),
            ...sdk.map((pkg) => SDK_CLIENTS[pkg as keyof typeof SDK_CLIENTS]),
            'export const handler = async () => clients.length;',
          ].join('\n'),
          resolveDir: PROJECT_ROOT,
          sourcefile: `${fn}-baseline.ts`,
          loader: 'ts',
        },
        outfile: baselineFile,
      });
      bundles.push({ fn, kind: 'baseline', file: baselineFile, sdk, env: {} });
    }
    ctx.log(`cold start: ${bundles.length} bundles built in ${dir}`);

    const times = new Map<string, number[]>(bundles.map((b) => [b.file, []]));
    const cpuTimes = new Map<string, number[]>(bundles.map((b) => [b.file, []]));
    const tableTimes = new Map<number, number[]>(ROUTE_TABLE_SIZES.map((count) => [count, []]));
    const tableFolders = new Map<number, string>();
    for (const count of ROUTE_TABLE_SIZES) tableFolders.set(count, await routeTableFolder(dir, count));
    // The functions that serve every route read their route table beside the bundle.
    const taskRoot = { LAMBDA_TASK_ROOT: tableFolders.get(1) ?? '' };
    const ingestBundle = bundles.find((b) => b.fn === 'ingest' && b.kind === 'handler')?.file ?? '';
    const measure = async (bundle: string, extraEnv: Record<string, string> = {}) => {
      const { stdout } = await run(process.execPath, ['-e', MEASURE], {
        env: { PATH: process.env.PATH ?? '', ...DUMMY_ENV, ...extraEnv, BENCH_BUNDLE: bundle },
        timeout: 30_000,
      });
      return JSON.parse(stdout) as { ms: number; cpuMs: number };
    };
    for (let i = 0; i < runs; i++) {
      // Interleaved, so a noisy moment hits a function and its baseline alike.
      for (const bundle of bundles) {
        const measured = await measure(bundle.file, { ...taskRoot, ...bundle.env });
        times.get(bundle.file)?.push(measured.ms);
        cpuTimes.get(bundle.file)?.push(measured.cpuMs);
      }
      for (const count of ROUTE_TABLE_SIZES) {
        const env = { ...(FUNCTIONS[0]?.env ?? {}), LAMBDA_TASK_ROOT: tableFolders.get(count) ?? '' };
        tableTimes.get(count)?.push((await measure(ingestBundle, env)).ms);
      }
    }

    const figure = async (file: string, name: string): Promise<BundleFigure> => {
      const initMsRuns = times.get(file) ?? [];
      const initCpuMsRuns = cpuTimes.get(file) ?? [];
      return {
        name,
        bytes: (await stat(file)).size,
        initMsRuns,
        medianInitMs: median(initMsRuns),
        initCpuMsRuns,
        medianInitCpuMs: median(initCpuMsRuns),
      };
    };
    const pairs: ColdStartPair[] = [];
    for (const { fn } of FUNCTIONS) {
      const handlerBundle = bundles.find((b) => b.fn === fn && b.kind === 'handler');
      const baselineBundle = bundles.find((b) => b.fn === fn && b.kind === 'baseline');
      if (!handlerBundle || !baselineBundle) continue;
      const handler = await figure(handlerBundle.file, fn);
      const baseline = await figure(baselineBundle.file, `${fn} SDK clients only`);
      pairs.push({
        function: fn,
        sdkClients: handlerBundle.sdk,
        handler,
        baseline,
        initRatio: median(handler.initMsRuns.map((ms, i) => ms / (baseline.initMsRuns[i] ?? Number.NaN))),
        initCpuRatio: median(
          handler.initCpuMsRuns.map((ms, i) => ms / (baseline.initCpuMsRuns[i] ?? Number.NaN)),
        ),
        sizeRatio: handler.bytes / baseline.bytes,
      });
    }
    const ingestRouteTables = ROUTE_TABLE_SIZES.map((routes) => {
      const initMsRuns = tableTimes.get(routes) ?? [];
      return { routes, initMsRuns, medianInitMs: median(initMsRuns) };
    });
    return { runs, nodeVersion: process.version, pairs, ingestRouteTables };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
