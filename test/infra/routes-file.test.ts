import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBodySchema } from '../../functions/ingest/ingest-config.js';
import { createDeliveryApp, type DeliveryApp } from '../../infra/delivery-app.js';
import { ENV } from '../../shared/config/env-names.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { ROUTE_TABLE_FILE } from '../../shared/config/route-table.js';
import { configurationError } from '../support/configuration-error.js';
import { configDocumentOf, findingsOf, flattenedTemplate, idOf, resourcesOf, testContext } from './synth.js';

const EXAMPLE = new URL('../../examples/webhooks.json', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'gd-routes-infra-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The app `DELIVERY_CONFIG=<file> cdk synth` builds, with cdk-nag registered, bundling skipped. */
function synthFile(path: string): DeliveryApp & { template: Template } {
  const built = createDeliveryApp({ DELIVERY_CONFIG: path }, { context: testContext() });
  return { ...built, template: flattenedTemplate(built.stack) };
}

/** Logical ids of a template's resources of one type. */
const idsOf = (template: Template, type: string) => Object.keys(resourcesOf(template, type)).sort();

describe('a 3-route routes file (examples/webhooks.json) through cdk synth', () => {
  let built: DeliveryApp & { template: Template };
  const names = ['orders', 'payments', 'notifications'];

  beforeAll(() => {
    built = synthFile(EXAMPLE.pathname);
  });

  it('builds one queue, one DLQ, one forwarder and one mapping per route, each wired to its own', () => {
    // Prepare
    const { stack, template } = built;
    const mappings = resourcesOf(template, 'AWS::Lambda::EventSourceMapping');

    // Assess
    expect(stack.routes.map((route) => route.route.name)).toEqual(names);
    template.resourceCountIs('AWS::SQS::Queue', 6);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    for (const route of stack.routes) {
      const mapping = mappings[idOf(route.eventSourceMapping)];
      expect(mapping?.Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [idOf(route.queue), 'Arn'] },
        FunctionName: { Ref: idOf(route.forwarderFunction) },
        BatchSize: route.route.batchSize,
        ScalingConfig: { MaximumConcurrency: route.route.concurrency },
      });
      const queue = resourcesOf(template, 'AWS::SQS::Queue')[idOf(route.queue)];
      expect(queue?.Properties.RedrivePolicy).toMatchObject({
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(route.deadLetterQueue), 'Arn'] },
        maxReceiveCount: route.route.maxAttempts,
      });
    }
    // payments' retry schedule of five delays makes six attempts.
    expect(stack.routes[1]?.route.maxAttempts).toBe(6);
  });

  it('raises alarms per route, on that route’s own queue and DLQ', () => {
    // Prepare
    const { stack, template } = built;
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');

    // Assess
    for (const route of stack.routes) {
      const routeAlarms = stack.monitoring.routeAlarms.get(route.route.name);
      expect(routeAlarms, route.route.name).toBeDefined();
      const deadLetters = alarms[idOf(routeAlarms?.deadLetters ?? route)];
      expect(deadLetters?.Properties.Dimensions).toEqual([
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(route.deadLetterQueue), 'QueueName'] } },
      ]);
    }
  });

  it('passes the cdk-nag AWS Solutions checks', () => {
    // Assess
    expect(findingsOf(built.app)).toEqual([]);
  });

  it('removes a route taken out of the file from the template, and nothing else', () => {
    // Prepare
    const file = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const twoRoutes = join(dir, 'two-routes.json');
    writeFileSync(
      twoRoutes,
      JSON.stringify({ ...file, routes: file.routes.filter((r: { name: string }) => r.name !== 'payments') }),
    );

    // Act
    const after = synthFile(twoRoutes).template;

    // Assess
    const before = built.template;
    const gone = (type: string) => idsOf(before, type).filter((id) => !idsOf(after, type).includes(id));
    const prefix = routeOutputPrefix('payments');
    for (const type of [
      'AWS::SQS::Queue',
      'AWS::Lambda::Function',
      'AWS::Lambda::EventSourceMapping',
      'AWS::CloudWatch::Alarm',
    ]) {
      expect(gone(type).length, type).toBeGreaterThan(0);
      expect(
        gone(type).every((id) => id.includes(prefix)),
        `${type}: ${gone(type).join(', ')}`,
      ).toBe(true);
      expect(
        idsOf(after, type).some((id) => id.includes(prefix)),
        type,
      ).toBe(false);
    }
    after.resourceCountIs('AWS::SQS::Queue', 4);
    const outputs = Object.keys(after.toJSON().Outputs ?? {});
    expect(outputs.filter((key) => key.includes(prefix))).toEqual([]);
    expect(JSON.stringify(after.toJSON().Outputs)).not.toContain('payments');
  });
});

describe("a route's own JSON Schema file (examples/two-backends.json, bundled)", () => {
  const outdir = mkdtempSync(join(tmpdir(), 'gd-routes-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('travels in its ingest asset, and the bundle compiles it at cold start', () => {
    // Prepare
    const file = new URL('../../examples/two-backends.json', import.meta.url).pathname;
    const built = createDeliveryApp(
      { DELIVERY_CONFIG: file },
      { context: testContext({ bundle: true }), outdir },
    );
    const template = Template.fromStack(built.stack);
    const billing = built.stack.routes.find((route) => route.route.name === 'billing');
    if (!billing) throw new Error('no billing route');
    const ingestFunction = built.stack.ingest.ingestFunction;
    const ingest = resourcesOf(template, 'AWS::Lambda::Function')[idOf(ingestFunction)];
    const key = (ingest?.Properties.Code as { S3Key?: string } | undefined)?.S3Key ?? '';
    const assetDir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);

    // Act: load the bundle as Lambda would, from its own directory, outside the repository
    const document = configDocumentOf(template, idOf(ingestFunction));
    const table = JSON.parse(readFileSync(join(assetDir, ROUTE_TABLE_FILE), 'utf8'));
    const schema = table.routes.find((route: { name: string }) => route.name === 'billing')?.schema;
    const loaded = execFileSync(
      process.execPath,
      ['-e', `process.stdout.write(typeof require(${JSON.stringify(join(assetDir, 'index.js'))}).handler)`],
      {
        cwd: assetDir,
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          LAMBDA_TASK_ROOT: assetDir,
          [ENV.FUNCTION_CONFIG]: JSON.stringify(document),
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );

    // Assess
    expect(schema).toBe('schemas/0/invoice.schema.json');
    expect(readdirSync(join(assetDir, 'schemas', '0'))).toContain('invoice.schema.json');
    expect(loaded).toBe('function');
    expect(loadBodySchema({ name: 'billing', schema: join(assetDir, schema) }).safeParse({}).success).toBe(
      false,
    );
  });
});

describe('a routes file whose route paths collide, through cdk synth', () => {
  it('fails with the routes, the field and the reason, before any construct is built', () => {
    // Prepare: orders on billing's status-lookup shape (`<path>/{messageId}`)
    const path = join(dir, 'colliding.json');
    writeFileSync(
      path,
      JSON.stringify({
        routes: [
          { name: 'billing', path: '/billing', target: 'https://billing.example.com/in' },
          { name: 'orders', path: '/billing/orders', target: 'https://orders.example.com/in' },
        ],
      }),
    );

    // Act
    const error = configurationError(() => synthFile(path));

    // Assess
    expect(error.message).toContain(
      "route 'orders' (routes[1]), field 'path': collides with route 'billing' (path '/billing')",
    );
  });
});
