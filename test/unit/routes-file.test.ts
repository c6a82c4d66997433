import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBodySchema, schemaNameOf } from '../../functions/ingest/ingest-config.js';
import { loadDeliveryConfig, ROUTE_DEFAULTS } from '../../shared/config/routes.js';
import { configurationError } from '../support/configuration-error.js';

const dir = mkdtempSync(join(tmpdir(), 'gd-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a routes file (an object is JSON-encoded, a string written as is) and returns its path. */
function routesFile(content: unknown): string {
  const path = join(dir, `routes-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const billing = { name: 'billing', path: '/billing/invoice', target: 'https://billing.example.com/in' };
const orders = { name: 'orders', path: '/orders/events', target: 'https://orders.example.com/events' };

/** The loader's error for a routes file with this content. */
function messageFor(path: string): string {
  return configurationError(() => loadDeliveryConfig({ DELIVERY_CONFIG: path })).message;
}

/** A file with `billing` first and `orders` changed by `change`; the loader's error for it. */
function errorFor(change: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = routesFile({ routes: [billing, { ...orders, ...change }], ...extra });
  return configurationError(() => loadDeliveryConfig({ DELIVERY_CONFIG: path })).message;
}

describe('routes file (DELIVERY_CONFIG)', () => {
  it('gives a route with only name, path and target every default, and the deployment its defaults', () => {
    // Prepare
    const path = routesFile({ $schema: '../schemas/delivery-config.schema.json', routes: [billing] });

    // Act
    const config = loadDeliveryConfig({ DELIVERY_CONFIG: path });

    // Assess
    expect(config).toEqual({
      routes: [{ ...billing, ...ROUTE_DEFAULTS }],
      drainIntervalSeconds: 60,
      apiKeyRequired: true,
      recordRetentionDays: 30,
      frontDoor: { type: 'rest' },
      tableBilling: { mode: 'on-demand' },
    });
  });

  it('reads the front door and table billing, defaulting HTTP API auth to IAM and the utilization target to 70', () => {
    // Prepare
    const path = routesFile({
      routes: [billing],
      frontDoor: { type: 'http-api' },
      tableBilling: {
        mode: 'provisioned',
        writeCapacity: { min: 5, max: 50 },
        readCapacity: { min: 1, max: 5 },
      },
    });
    const jwt = routesFile({
      routes: [billing],
      frontDoor: {
        type: 'http-api',
        authorization: { type: 'jwt', issuer: 'https://id.example.com/', audience: ['clients'] },
      },
    });

    // Act
    const config = loadDeliveryConfig({ DELIVERY_CONFIG: path });
    const jwtConfig = loadDeliveryConfig({ DELIVERY_CONFIG: jwt });

    // Assess
    expect(config.frontDoor).toEqual({ type: 'http-api', authorization: { type: 'iam' } });
    expect(config.tableBilling).toEqual({
      mode: 'provisioned',
      writeCapacity: { min: 5, max: 50 },
      readCapacity: { min: 1, max: 5 },
      targetUtilizationPercent: 70,
    });
    expect(jwtConfig.frontDoor).toEqual({
      type: 'http-api',
      authorization: { type: 'jwt', issuer: 'https://id.example.com/', audience: ['clients'] },
    });
  });

  it('rejects an unknown front door, a JWT issuer over plain http and a provisioned range upside down', () => {
    // Act
    const unknown = messageFor(routesFile({ routes: [billing], frontDoor: { type: 'websocket' } }));
    const insecure = messageFor(
      routesFile({
        routes: [billing],
        frontDoor: {
          type: 'http-api',
          authorization: { type: 'jwt', issuer: 'http://id.example.com', audience: ['a'] },
        },
      }),
    );
    const upsideDown = messageFor(
      routesFile({
        routes: [billing],
        tableBilling: {
          mode: 'provisioned',
          writeCapacity: { min: 9, max: 1 },
          readCapacity: { min: 1, max: 1 },
        },
      }),
    );

    // Assess
    expect(unknown).toMatch(/frontDoor.*use \{"type": "rest"\} or \{"type": "http-api"/);
    expect(insecure).toMatch(/issuer.*use the https:\/\/ URL of the JWT issuer/);
    expect(upsideDown).toMatch(/writeCapacity.*max must be >= min/);
  });

  it('keeps every setting a route gives, in file order', () => {
    // Prepare
    const full = {
      ...orders,
      schema: 'json-object',
      maxAttempts: 7,
      retry: { baseSeconds: 5, maxSeconds: 600 },
      nonRetryableStatuses: [],
      concurrency: 5,
      batchSize: 4,
      timeoutSeconds: 25,
      maxBodyBytes: 100_000,
    };
    const path = routesFile({ routes: [full, billing], drainIntervalSeconds: 120, apiKeyRequired: false });

    // Act
    const config = loadDeliveryConfig({ DELIVERY_CONFIG: path });

    // Assess
    expect(config.routes).toEqual([full, { ...billing, ...ROUTE_DEFAULTS }]);
    expect(config).toMatchObject({ drainIntervalSeconds: 120, apiKeyRequired: false });
  });

  it("ignores the default route's variables and lets the shared ones override the file", () => {
    // Prepare
    const path = routesFile({ routes: [billing], drainIntervalSeconds: 120 });

    // Act
    const config = loadDeliveryConfig({
      DELIVERY_CONFIG: path,
      CATERING_SERVICE_EP: 'https://elsewhere.example.com',
      MAX_ATTEMPTS: '9',
      DRAIN_INTERVAL_SECONDS: '1',
      API_KEY_REQUIRED: 'false',
    });

    // Assess
    expect(config.routes).toEqual([{ ...billing, ...ROUTE_DEFAULTS }]);
    expect(config).toMatchObject({ drainIntervalSeconds: 1, apiKeyRequired: false });
  });

  it.each([
    [
      'name',
      { name: 'Orders!' },
      'field \'name\': use 1-31 lowercase letters, digits or dashes (got "Orders!")',
    ],
    ['path', { path: 'orders' }, 'field \'path\': use a path like /catering/register (got "orders")'],
    ['target', { target: 'ftp://x.example' }, 'field \'target\': use an http(s) URL (got "ftp://x.example")'],
    [
      'schema',
      { schema: 'xml' },
      'field \'schema\': use one of json-object, json, catering-registration, or the path of a .json JSON Schema file (got "xml")',
    ],
    ['maxAttempts', { maxAttempts: 0 }, "field 'maxAttempts': use a whole number from 1 to 1000 (got 0)"],
    ['retry', { retry: 5 }, "field 'retry'"],
    [
      'retry.baseSeconds',
      { retry: { baseSeconds: 0.5, maxSeconds: 10 } },
      "field 'retry.baseSeconds': use a whole number of seconds from 1 to 43200 (got 0.5)",
    ],
    [
      'retry.maxSeconds',
      { retry: { baseSeconds: 60, maxSeconds: 30 } },
      'field \'retry\': retry.maxSeconds must be >= retry.baseSeconds; raise maxSeconds or lower baseSeconds (got {"baseSeconds":60,"maxSeconds":30})',
    ],
    [
      'nonRetryableStatuses',
      { nonRetryableStatuses: [400, 700] },
      "field 'nonRetryableStatuses[1]': use a whole number from 100 to 599 (got 700)",
    ],
    ['concurrency', { concurrency: 1 }, "field 'concurrency': use a whole number from 2 to 1000 (got 1)"],
    ['batchSize', { batchSize: 11 }, "field 'batchSize': use a whole number from 1 to 10 (got 11)"],
    [
      'timeoutSeconds',
      { timeoutSeconds: '10' },
      'field \'timeoutSeconds\': use a whole number of seconds from 1 to 300 (got "10")',
    ],
    [
      'headers',
      { headers: { 'Bad Name': 'x' } },
      'field \'headers.Bad Name\': use an HTTP header name such as Authorization (got "Bad Name")',
    ],
    [
      'headers (a reserved name)',
      { headers: { 'Idempotency-Key': 'x' } },
      "field 'headers.Idempotency-Key': the forwarder sets this header itself; use another name",
    ],
    [
      'headers (a value over two lines)',
      { headers: { Authorization: 'Bearer a\r\nX-Injected: 1' } },
      "field 'headers.Authorization': use a non-empty value on one line (at most 8192 characters)",
    ],
    [
      'headers (a secret reference with a bad secret name)',
      { headers: { Authorization: { secret: 'my secret!' } } },
      'field \'headers.Authorization.secret\': use a Secrets Manager secret name or ARN (got "my secret!")',
    ],
    [
      'headers (a secret reference with an unknown key)',
      { headers: { Authorization: { secret: 'orders/token', feild: 'key' } } },
      'field \'headers.Authorization.feild\': unknown field; remove it or correct its spelling (got "key")',
    ],
    [
      'headers (a value neither text nor a secret reference)',
      { headers: { Authorization: 42 } },
      'field \'headers.Authorization\': use a text value, or {"secret": "<Secrets Manager name or ARN>", "field": "<JSON key>", "prefix": "Bearer ", "kmsKey": "<KMS key ARN>"} (got 42)',
    ],
    [
      'maxBodyBytes',
      { maxBodyBytes: 6_300_000 },
      "field 'maxBodyBytes': use a whole number of bytes from 1 to 6225920: Lambda takes at most 6291456 bytes per synchronous invocation, the request's whole event included, whichever front door passes it (got 6300000)",
    ],
  ])(
    'fails on a bad %s, naming the file, the route, the field, the value and the fix',
    (_field, change, expected) => {
      // Act
      const message = errorFor(change);

      // Assess
      expect(message).toMatch(/^Invalid routes file \S*routes-\d+\.json:\n/);
      // The route by its name as written, and its position.
      expect(message).toContain(
        `route '${(change as { name?: string }).name ?? 'orders'}' (routes[1]), ${expected}`,
      );
      expect(message).not.toMatch(/\n\s+at /); // no stack trace in the text
    },
  );

  it('reads header values that are text or a Secrets Manager reference (name or ARN, optional field and prefix)', () => {
    // Prepare
    const headers = {
      Authorization: { secret: 'orders/backend-token', prefix: 'Bearer ' },
      'X-Api-Key': {
        secret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/api-keys-AbC123',
        field: 'key',
      },
      'X-Tenant': 'acme',
    };
    const path = routesFile({ routes: [{ ...orders, headers }] });

    // Act
    const [route] = loadDeliveryConfig({ DELIVERY_CONFIG: path }).routes;

    // Assess
    expect(route?.headers).toEqual(headers);
  });

  it('fails on a missing required field, saying it is required', () => {
    // Act
    const message = errorFor({ target: undefined });

    // Assess
    expect(message).toContain(
      "route 'orders' (routes[1]), field 'target': is required: use an http(s) URL (got nothing)",
    );
  });

  it('fails on an unknown field, suggesting the one it resembles', () => {
    // Act
    const message = errorFor({ maxAttempt: 3 });

    // Assess
    expect(message).toContain(
      "route 'orders' (routes[1]), field 'maxAttempt': unknown field; did you mean 'maxAttempts'? remove it or correct its spelling (got 3)",
    );
  });

  it('fails on a bad shared setting and an unknown top-level field', () => {
    // Act
    const message = errorFor({}, { drainIntervalSeconds: 0, route: [] });

    // Assess
    expect(message).toContain(
      "field 'drainIntervalSeconds': use a whole number of seconds from 1 to 86400 (got 0)",
    );
    expect(message).toContain("field 'route': unknown field; did you mean 'routes'?");
  });

  it('fails on two routes with one name or one path, pointing at the second', () => {
    // Act
    const sameName = errorFor({ name: 'billing' });
    const samePath = errorFor({ path: billing.path });

    // Assess
    expect(sameName).toContain(
      "route 'billing' (routes[1]), field 'name': another route already uses this name; give each route its own (got \"billing\")",
    );
    expect(samePath).toContain(
      "route 'orders' (routes[1]), field 'path': another route already uses this path",
    );
  });

  it("fails on a route whose path is another route's path plus one segment, naming both routes", () => {
    // Act: the other route's batch resource, and its status-lookup shape (`<path>/{messageId}`)
    const batch = errorFor({ path: `${billing.path}/batch` });
    const lookup = errorFor({ path: `${billing.path}/latest` });
    const parent = configurationError(() =>
      loadDeliveryConfig({
        DELIVERY_CONFIG: routesFile({
          routes: [
            { ...billing, path: '/billing' },
            { ...orders, path: '/billing/x' },
          ],
        }),
      }),
    ).message;

    // Assess
    expect(batch).toContain(
      "route 'orders' (routes[1]), field 'path': collides with route 'billing' (path '/billing/invoice'): POST /billing/invoice/batch is route 'billing''s batch and GET /billing/invoice/{messageId} its status lookup, so this route's requests would reach route 'billing' (or API Gateway could not build both); use a path that is not another route's path plus one segment (got \"/billing/invoice/batch\")",
    );
    expect(lookup).toContain("route 'orders' (routes[1]), field 'path': collides with route 'billing'");
    expect(parent).toContain(
      "route 'orders' (routes[1]), field 'path': collides with route 'billing' (path '/billing')",
    );
  });

  it('fails on a path with a dot segment, naming the segment', () => {
    // Act
    const up = errorFor({ path: '/orders/..' });
    const here = errorFor({ path: '/orders/./events' });
    const dots = loadDeliveryConfig({
      DELIVERY_CONFIG: routesFile({ routes: [billing, { ...orders, path: '/orders/.../events' }] }),
    });

    // Assess
    expect(up).toContain(
      "route 'orders' (routes[1]), field 'path': the segment '..' is a dot segment, which clients and proxies resolve away (RFC 3986, 5.2.4) before a request reaches the API, so this path could never be called as written; remove it (got \"/orders/..\")",
    );
    expect(here).toContain("field 'path': the segment '.' is a dot segment");
    expect(dots.routes[1]?.path).toBe('/orders/.../events'); // three dots are a name, not a dot segment
  });

  it('fails without routes, and on a route that is not an object', () => {
    // Act
    const none = configurationError(() =>
      loadDeliveryConfig({ DELIVERY_CONFIG: routesFile({ routes: [] }) }),
    );
    const odd = configurationError(() =>
      loadDeliveryConfig({ DELIVERY_CONFIG: routesFile({ routes: ['x'] }) }),
    );

    // Assess
    expect(none.message).toContain("field 'routes': list at least one route (got [])");
    expect(odd.message).toContain('routes[0]');
    expect(odd.message).toContain('(got "x")');
  });

  it('fails on a file that is not JSON, naming the file and where it breaks', () => {
    // Prepare
    const path = routesFile('{"routes": [ {"name": "billing",, } ]}');

    // Act
    const error = configurationError(() => loadDeliveryConfig({ DELIVERY_CONFIG: path }));

    // Assess
    expect(error.message).toMatch(/routes-\d+\.json is not valid JSON: .*position \d+/);
  });

  it('fails on a file that cannot be read, saying what to set', () => {
    // Act
    const error = configurationError(() => loadDeliveryConfig({ DELIVERY_CONFIG: join(dir, 'nope.json') }));

    // Assess
    expect(error.message).toMatch(
      /^DELIVERY_CONFIG names \S*nope\.json, which cannot be read \(ENOENT\); set it to/,
    );
  });
});

describe('TARGET_TIMEOUT_SECONDS (the default route)', () => {
  it("sets the default route's per-attempt timeout, as the stack and the local runner build it", () => {
    // Act
    const config = loadDeliveryConfig({ TARGET_TIMEOUT_SECONDS: '3' });

    // Assess
    expect(config.routes[0]?.timeoutSeconds).toBe(3);
  });

  it('fails on a timeout out of range, naming the field and the value', () => {
    // Act
    const error = configurationError(() => loadDeliveryConfig({ TARGET_TIMEOUT_SECONDS: '301' }));

    // Assess
    expect(error.message).toContain('timeoutSeconds: use a whole number of seconds from 1 to 300 (got 301)');
  });
});

describe('retry schedule in a routes file', () => {
  it('makes maxAttempts follow the list: one attempt, then one per delay', () => {
    // Prepare
    const path = routesFile({ routes: [{ ...billing, retry: { schedule: [5, 300, 1800, 7200] } }] });

    // Act
    const [route] = loadDeliveryConfig({ DELIVERY_CONFIG: path }).routes;

    // Assess
    expect(route).toMatchObject({ retry: { schedule: [5, 300, 1800, 7200] }, maxAttempts: 5 });
  });

  it('accepts a maxAttempts that agrees with the list', () => {
    // Prepare
    const path = routesFile({ routes: [{ ...billing, maxAttempts: 3, retry: { schedule: [5, 60] } }] });

    // Act
    const [route] = loadDeliveryConfig({ DELIVERY_CONFIG: path }).routes;

    // Assess
    expect(route?.maxAttempts).toBe(3);
  });

  it.each([
    [
      'a maxAttempts the list contradicts',
      { maxAttempts: 9, retry: { schedule: [5, 60] } },
      "field 'maxAttempts': the retry schedule makes 3 attempts; remove maxAttempts or set it to 3 (got 9)",
    ],
    ['an empty list', { retry: { schedule: [] } }, "field 'retry.schedule': list at least one delay"],
    [
      'a delay beyond SQS',
      { retry: { schedule: [5, 50_000] } },
      "field 'retry.schedule[1]': use a whole number of seconds from 1 to 43200 (got 50000)",
    ],
    [
      'a list mixed with exponential fields',
      { retry: { schedule: [5], baseSeconds: 2 } },
      "field 'retry.baseSeconds': unknown field",
    ],
    [
      'neither form',
      { retry: 'often' },
      'field \'retry\': use {"baseSeconds": 2, "maxSeconds": 300} or {"schedule": [5, 300, 1800]} (got "often")',
    ],
  ])('fails on %s, naming the field and the value', (_label, change, expected) => {
    // Act
    const message = errorFor(change);

    // Assess
    expect(message).toContain(`route 'orders' (routes[1]), ${expected}`);
  });
});

describe('routes file: signing', () => {
  it.each([
    [true, {}],
    [{ secret: 'orders/signing' }, { secret: 'orders/signing' }],
    [{ localSecretEnv: 'ORDERS_SIGNING_SECRET' }, { localSecretEnv: 'ORDERS_SIGNING_SECRET' }],
    [false, undefined],
  ])('reads signing %j as %j', (signing, expected) => {
    // Prepare
    const path = routesFile({ routes: [billing, { ...orders, signing }] });

    // Act
    const [, route] = loadDeliveryConfig({ DELIVERY_CONFIG: path }).routes;

    // Assess
    expect(route?.signing).toEqual(expected);
    expect(loadDeliveryConfig({ DELIVERY_CONFIG: path }).routes[0]?.signing).toBeUndefined();
  });

  it.each([
    [{ secret: 'has spaces' }, /signing.*use a Secrets Manager secret name or ARN/],
    [{ localSecretEnv: 'lower' }, /signing.*use an environment variable name/],
    [{ secrett: 'x' }, /signing/],
    ['yes', /signing.*use true, false, or/],
  ])('fails for signing %j, naming the field', (signing, message) => {
    expect(errorFor({ signing })).toMatch(message);
  });
});

describe('body schema files in a routes file', () => {
  const invoice = { type: 'object', required: ['invoiceId'], properties: { invoiceId: { type: 'string' } } };

  it('resolves a schema path against the routes file, and the ingest validates with it', () => {
    // Prepare
    const schemaPath = join(dir, 'invoice.schema.json');
    writeFileSync(schemaPath, JSON.stringify(invoice));
    const path = routesFile({ routes: [{ ...billing, schema: 'invoice.schema.json' }] });

    // Act
    const [route] = loadDeliveryConfig({ DELIVERY_CONFIG: path }).routes;
    const schema = loadBodySchema({ name: 'billing', schema: route?.schema });

    // Assess
    expect(route?.schema).toBe(schemaPath);
    expect(schemaNameOf({ schema: route?.schema })).toBe('invoice');
    expect(schema.safeParse({ invoiceId: 'INV-1' })).toEqual({ success: true });
    expect(schema.safeParse({ invoiceId: 7 })).toEqual({
      success: false,
      error: { issues: [{ path: ['invoiceId'], message: 'must be string' }] },
    });
  });

  it('fails on a schema file that is missing or not a JSON Schema, naming the route and the path', () => {
    // Prepare
    writeFileSync(join(dir, 'broken.schema.json'), JSON.stringify({ type: 'objekt' }));

    // Act
    const missing = errorFor({ schema: 'nope.schema.json' });
    const broken = errorFor({ schema: 'broken.schema.json' });

    // Assess
    expect(missing).toContain(
      "route 'orders' (routes[1]), field 'schema': cannot read the schema file as JSON (Error: ENOENT: no such file or directory",
    );
    expect(missing).toContain('(got "nope.schema.json")');
    expect(broken).toContain(
      "route 'orders' (routes[1]), field 'schema': not a valid JSON Schema: schema is invalid",
    );
    expect(broken).toContain('; fix the schema file (got "broken.schema.json")');
  });
});
