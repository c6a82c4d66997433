import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRAIN_INTERVAL_SECONDS,
  DEFAULT_ROUTE,
  loadDeliveryConfig,
  parseRoute,
  REFERENCE_CATERING_ENDPOINT,
  type RouteConfig,
} from '../../shared/config/routes.js';
import { configurationError } from '../support/configuration-error.js';

const OTHER_ROUTE: RouteConfig = { ...DEFAULT_ROUTE, name: 'billing', path: '/billing/invoice' };

describe('DEFAULT_ROUTE', () => {
  it('is a valid route: the catering scenario on its reference endpoint', () => {
    // Act
    const parsed = parseRoute(DEFAULT_ROUTE);

    // Assess
    expect(parsed).toEqual(DEFAULT_ROUTE);
    expect(parsed).toMatchObject({
      name: 'catering',
      path: '/catering/register',
      target: REFERENCE_CATERING_ENDPOINT,
      schema: 'catering-registration',
    });
  });
});

describe('loadDeliveryConfig', () => {
  it('fails on a record retention shorter than a message can live in the queue and the DLQ', () => {
    // Act
    const load = () => loadDeliveryConfig({ RECORD_RETENTION_DAYS: '27' });

    // Assess
    expect(load).toThrow(/RECORD_RETENTION_DAYS must be a whole number of days >= 28 .* got '27'/);
    expect(loadDeliveryConfig({ RECORD_RETENTION_DAYS: '28' }).recordRetentionDays).toBe(28);
  });

  it('gives the default route, a 60 s drain interval, API keys on a REST API and on-demand tables without overrides', () => {
    // Act
    const config = loadDeliveryConfig({});

    // Assess
    expect(config).toEqual({
      routes: [DEFAULT_ROUTE],
      drainIntervalSeconds: DEFAULT_DRAIN_INTERVAL_SECONDS,
      apiKeyRequired: true,
      recordRetentionDays: 30,
      frontDoor: { type: 'rest' },
      tableBilling: { mode: 'on-demand' },
    });
    expect(DEFAULT_DRAIN_INTERVAL_SECONDS).toBe(60);
  });

  it('applies every documented override to the default route', () => {
    // Act
    const config = loadDeliveryConfig({
      CATERING_SERVICE_EP: ' http://127.0.0.1:8080/catering ',
      MAX_ATTEMPTS: '7',
      RETRY_BASE_SECONDS: '5',
      RETRY_MAX_SECONDS: '600',
      DRAIN_INTERVAL_SECONDS: '120',
      API_KEY_REQUIRED: 'false',
    });

    // Assess
    expect(config.routes).toEqual([
      {
        ...DEFAULT_ROUTE,
        target: 'http://127.0.0.1:8080/catering',
        maxAttempts: 7,
        retry: { baseSeconds: 5, maxSeconds: 600 },
      },
    ]);
    expect(config.drainIntervalSeconds).toBe(120);
    expect(config.apiKeyRequired).toBe(false);
  });

  it('ignores empty overrides', () => {
    // Act
    const config = loadDeliveryConfig({ CATERING_SERVICE_EP: '  ', MAX_ATTEMPTS: '', API_KEY_REQUIRED: '' });

    // Assess
    expect(config.routes).toEqual([DEFAULT_ROUTE]);
    expect(config.apiKeyRequired).toBe(true);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    [' False ', false],
  ])('reads API_KEY_REQUIRED=%s as %s', (value, expected) => {
    // Act
    const config = loadDeliveryConfig({ API_KEY_REQUIRED: value });

    // Assess
    expect(config.apiKeyRequired).toBe(expected);
  });

  it('overrides only the first route and keeps the others as given', () => {
    // Act
    const config = loadDeliveryConfig({ MAX_ATTEMPTS: '9' }, [DEFAULT_ROUTE, OTHER_ROUTE]);

    // Assess
    expect(config.routes.map((route) => route.maxAttempts)).toEqual([9, DEFAULT_ROUTE.maxAttempts]);
  });

  it.each([
    ['MAX_ATTEMPTS=0', { MAX_ATTEMPTS: '0' }, ['maxAttempts', '0']],
    ['MAX_ATTEMPTS=1001', { MAX_ATTEMPTS: '1001' }, ['maxAttempts', '1001']],
    ['MAX_ATTEMPTS=2.5', { MAX_ATTEMPTS: '2.5' }, ['maxAttempts', '2.5']],
    ['MAX_ATTEMPTS=many', { MAX_ATTEMPTS: 'many' }, ['MAX_ATTEMPTS', "'many'"]],
    ['RETRY_BASE_SECONDS=0', { RETRY_BASE_SECONDS: '0' }, ['retry.baseSeconds', '0']],
    ['RETRY_MAX_SECONDS=50000', { RETRY_MAX_SECONDS: '50000' }, ['retry.maxSeconds', '50000']],
    [
      'RETRY_MAX_SECONDS below RETRY_BASE_SECONDS',
      { RETRY_BASE_SECONDS: '60', RETRY_MAX_SECONDS: '30' },
      ['retry.maxSeconds must be >= retry.baseSeconds', '"baseSeconds":60', '"maxSeconds":30'],
    ],
    [
      'a target that is not a URL',
      { CATERING_SERVICE_EP: 'catering-host:8080' },
      ['target', '"catering-host:8080"'],
    ],
    [
      'a non-http target',
      { CATERING_SERVICE_EP: 'ftp://files.example/x' },
      ['target', 'ftp://files.example/x'],
    ],
    ['DRAIN_INTERVAL_SECONDS=0', { DRAIN_INTERVAL_SECONDS: '0' }, ['DRAIN_INTERVAL_SECONDS', "'0'"]],
    ['DRAIN_INTERVAL_SECONDS=1.5', { DRAIN_INTERVAL_SECONDS: '1.5' }, ['DRAIN_INTERVAL_SECONDS', "'1.5'"]],
    ['API_KEY_REQUIRED=yes', { API_KEY_REQUIRED: 'yes' }, ['API_KEY_REQUIRED', "'yes'"]],
  ])('fails with %s, naming the field and the bad value', (_label, env, fragments) => {
    // Act
    const error = configurationError(() => loadDeliveryConfig(env));

    // Assess
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  });

  it('fails when two routes share a name', () => {
    // Act
    const error = configurationError(() =>
      loadDeliveryConfig({}, [DEFAULT_ROUTE, { ...OTHER_ROUTE, name: DEFAULT_ROUTE.name }]),
    );

    // Assess
    expect(error.message).toBe("Route name 'catering' is used twice");
  });

  it('fails when two routes share a path', () => {
    // Act
    const error = configurationError(() =>
      loadDeliveryConfig({}, [DEFAULT_ROUTE, { ...OTHER_ROUTE, path: DEFAULT_ROUTE.path }]),
    );

    // Assess
    expect(error.message).toBe("Route path '/catering/register' is used twice");
  });

  it("fails when a route's path is another route's path plus one segment", () => {
    // Act
    const error = configurationError(() =>
      loadDeliveryConfig({}, [DEFAULT_ROUTE, { ...OTHER_ROUTE, path: `${DEFAULT_ROUTE.path}/batch` }]),
    );

    // Assess
    expect(error.message).toContain(
      `Route '${OTHER_ROUTE.name}' path '/catering/register/batch' collides with route 'catering' (path '/catering/register')`,
    );
  });

  it('fails without any route', () => {
    // Act
    const error = configurationError(() => loadDeliveryConfig({}, []));

    // Assess
    expect(error.message).toBe('At least one route must be configured');
  });

  it('fails on a bad second route, naming each bad field with its value', () => {
    // Act
    const error = configurationError(() =>
      loadDeliveryConfig({}, [DEFAULT_ROUTE, { ...OTHER_ROUTE, name: 'Billing!', batchSize: 11 }]),
    );

    // Assess
    expect(error.message).toContain('name: use 1-31 lowercase letters, digits or dashes (got "Billing!")');
    expect(error.message).toContain('batchSize');
    expect(error.message).toContain('(got 11)');
  });
});
