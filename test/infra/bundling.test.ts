import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryFunction } from '../../infra/constructs/delivery-function.js';
import type { DeliveryRoute } from '../../infra/constructs/delivery-route.js';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { ENV } from '../../shared/config/env-names.js';
import { ROUTE_TABLE_FILE } from '../../shared/config/route-table.js';
import { DEFAULT_ROUTE, loadDeliveryConfig } from '../../shared/config/routes.js';
import { configDocumentOf, idOf, ORDERS_ROUTE, resourcesOf, synthStack, userEnv } from './synth.js';

/**
 * Bundles stay well under Lambda's 50 MB zipped limit and small enough for quick cold starts; today
 * they are about 0.4-0.9 MB minified. A jump past this means something (e.g. a second SDK) slipped in.
 */
const MAX_BUNDLE_BYTES = 1_500_000;

/** What every function needs beside its document at cold start; nothing is called at load. */
const COLD_START_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

describe('function bundles (local esbuild, no Docker)', () => {
  let outdir: string;
  let stack: GuaranteedDeliveryStack;
  let template: Template;
  let assetDirs: Map<string, string>;

  beforeAll(() => {
    // Prepare: one synth with real bundling into a scratch cloud assembly.
    outdir = mkdtempSync(join(tmpdir(), 'gd-infra-bundle-'));
    // The default route, and one with a circuit breaker (its forwarder has a handler of its own).
    const config = loadDeliveryConfig(userEnv(), [
      DEFAULT_ROUTE,
      { ...ORDERS_ROUTE, breaker: { failures: 5, probeSeconds: 30 } },
    ]);
    const synthesized = synthStack({ config }, { bundle: true, outdir });
    stack = synthesized.stack;
    template = synthesized.template;
    const functions = resourcesOf(synthesized.template, 'AWS::Lambda::Function');
    assetDirs = new Map(
      Object.entries(functions).map(([id, fn]) => {
        const key = (fn.Properties.Code as { S3Key: string }).S3Key;
        return [id, join(outdir, `asset.${key.replace(/\.zip$/, '')}`)];
      }),
    );
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  function bundleOf(fn: DeliveryFunction): string {
    const dir = assetDirs.get(idOf(fn));
    if (!dir) throw new Error(`no asset for ${fn.node.path}`);
    return join(dir, 'index.js');
  }

  /** The environment Lambda gives a function: its document (references as stand-ins) and its folder. */
  function coldStartEnv(fn: DeliveryFunction): Record<string, string> {
    return {
      ...COLD_START_ENV,
      [ENV.FUNCTION_CONFIG]: JSON.stringify(configDocumentOf(template, idOf(fn))),
      LAMBDA_TASK_ROOT: assetDirs.get(idOf(fn)) ?? '',
    };
  }

  function functionsByName(): Array<[string, DeliveryFunction]> {
    const [route] = stack.routes;
    if (!route) throw new Error('no route');
    return [
      ['ingest', stack.ingest.ingestFunction],
      ['archiver', stack.archive.archiverFunction],
      ['forwarder', route.forwarderFunction],
      ['drainer', stack.drainerFunction],
    ];
  }

  it('emits one minified CommonJS index.js per function, with its source map, under the size bound', () => {
    for (const [name, fn] of functionsByName()) {
      // Act
      const bundle = bundleOf(fn);
      const code = readFileSync(bundle, 'utf8');

      // Assess
      expect(statSync(bundle).size, name).toBeLessThan(MAX_BUNDLE_BYTES);
      // Booleans, not the code itself: a failure should not print a megabyte of bundle.
      expect(code.includes('module.exports'), name).toBe(true);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map'), name).toBe(true);
      expect(existsSync(`${bundle}.map`), name).toBe(true);
    }
  });

  it('puts the route table (and so no route list in the environment) into the assets of the functions that serve every route', () => {
    for (const fn of [stack.ingest.ingestFunction, stack.drainerFunction, stack.archive.archiverFunction]) {
      // Act
      const table = JSON.parse(readFileSync(join(assetDirs.get(idOf(fn)) ?? '', ROUTE_TABLE_FILE), 'utf8'));

      // Assess
      expect(table.routes.map((route: { name: string }) => route.name)).toEqual(['catering', 'order-events']);
    }
  });

  it('bundles the SQS and DynamoDB clients instead of relying on the runtime copy of the SDK', () => {
    for (const [name, fn] of functionsByName()) {
      // Act
      const code = readFileSync(bundleOf(fn), 'utf8');

      // Assess: the services' wire-protocol target prefixes live in the clients' own code.
      expect(code.includes('AmazonSQS'), `${name} has the SQS client`).toBe(true);
      if (name !== 'archiver') {
        expect(code.includes('DynamoDB_20120810'), `${name} has the DynamoDB client`).toBe(true);
      }
    }
  });

  it("gives only a breaker route's forwarder the Lambda client, and loads it with its breaker", () => {
    // Prepare
    const [plain, guarded] = stack.routes as [DeliveryRoute, DeliveryRoute];

    // Act: the Lambda client's REST path for event source mappings is in its own code
    const hasLambdaClient = (fn: DeliveryFunction) =>
      readFileSync(bundleOf(fn), 'utf8').includes('/2015-03-31/event-source-mappings');
    const exported = execFileSync(
      process.execPath,
      [
        '-e',
        `process.stdout.write(typeof require(${JSON.stringify(bundleOf(guarded.forwarderFunction))}).handler)`,
      ],
      {
        env: {
          PATH: process.env.PATH,
          ...coldStartEnv(guarded.forwarderFunction),
          AWS_LAMBDA_FUNCTION_NAME: 'orders-forwarder',
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );

    // Assess
    expect(hasLambdaClient(guarded.forwarderFunction)).toBe(true);
    expect(hasLambdaClient(plain.forwarderFunction)).toBe(false);
    expect(exported).toBe('function');
  });

  it('loads each bundle in plain Node and exports a handler function', () => {
    for (const [name, fn] of functionsByName()) {
      // Act: a fresh process outside the repository (no node_modules to fall back on), as Lambda
      // loads it; the cold start reads its environment and builds its clients here.
      const exported = execFileSync(
        process.execPath,
        ['-e', `process.stdout.write(typeof require(${JSON.stringify(bundleOf(fn))}).handler)`],
        { env: { PATH: process.env.PATH, ...coldStartEnv(fn) }, encoding: 'utf8', timeout: 30_000 },
      );

      // Assess
      expect(exported, name).toBe('function');
    }
  });
});
