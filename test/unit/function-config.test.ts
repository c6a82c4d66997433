import { describe, expect, it } from 'vitest';
import { loadDrainerConfig } from '../../functions/drainer/drainer-config.js';
import { loadForwarderConfig, parseStatuses } from '../../functions/forwarder/forwarder-config.js';
import { loadIngestConfig } from '../../functions/ingest/ingest-config.js';
import { ENV, type Env } from '../../shared/config/env-names.js';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { ConfigurationError } from '../../shared/errors.js';
import { SIGNING_SECRET_CACHE_SECONDS } from '../../shared/signing/signing-keys.js';

const QUEUE_URL = 'http://127.0.0.1:5000/000000000000/t-catering-delivery';

const INGEST_ENV: Env = {
  [ENV.ROUTE_NAME]: 'catering',
  [ENV.QUEUE_URL]: QUEUE_URL,
  [ENV.FAILOVER_TABLE_NAME]: 't-failover',
  [ENV.MESSAGE_TABLE_NAME]: 't-messages',
};

const FORWARDER_ENV: Env = {
  [ENV.ROUTE_NAME]: 'catering',
  [ENV.QUEUE_URL]: QUEUE_URL,
  [ENV.DLQ_URL]: 'http://127.0.0.1:5000/000000000000/t-catering-fail-messages',
  [ENV.MESSAGE_TABLE_NAME]: 't-messages',
  [ENV.TARGET_URL]: 'http://127.0.0.1:8080/catering',
};

const DRAINER_ENV: Env = {
  [ENV.ROUTE_QUEUE_URLS]: JSON.stringify({ catering: QUEUE_URL }),
  [ENV.FAILOVER_TABLE_NAME]: 't-failover',
  [ENV.MESSAGE_TABLE_NAME]: 't-messages',
};

/** The ConfigurationError message a call throws. */
function configurationError(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError, nothing was thrown');
}

const without = (env: Env, name: string): Env =>
  Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));

describe('loadIngestConfig', () => {
  it('reads the route, queue and table, with defaults for the rest', () => {
    // Act
    const config = loadIngestConfig(INGEST_ENV);

    // Assess
    expect(config).toEqual({
      routeName: 'catering',
      queueUrl: QUEUE_URL,
      failoverTableName: 't-failover',
      messageTableName: 't-messages',
      recordRetentionSeconds: 30 * 86_400,
      maxBodyBytes: 250_000,
      schemaName: 'json-object',
      logPayloads: false,
    });
  });

  it('reads the optional settings', () => {
    // Act
    const config = loadIngestConfig({
      ...INGEST_ENV,
      [ENV.MAX_BODY_BYTES]: '1024',
      [ENV.BODY_SCHEMA]: 'catering-registration',
      [ENV.LOG_PAYLOADS]: 'true',
    });

    // Assess
    expect(config).toMatchObject({
      maxBodyBytes: 1024,
      schemaName: 'catering-registration',
      logPayloads: true,
    });
  });

  it.each([ENV.ROUTE_NAME, ENV.QUEUE_URL, ENV.FAILOVER_TABLE_NAME, ENV.MESSAGE_TABLE_NAME])(
    'fails without %s, naming it',
    (name) => {
      // Act
      const message = configurationError(() => loadIngestConfig(without(INGEST_ENV, name)));

      // Assess
      expect(message).toBe(`${name} environment variable is not set`);
    },
  );

  it('fails on a blank variable as on a missing one', () => {
    // Act
    const message = configurationError(() => loadIngestConfig({ ...INGEST_ENV, [ENV.QUEUE_URL]: '   ' }));

    // Assess
    expect(message).toBe('QUEUE_URL environment variable is not set');
  });

  it('fails on an unknown BODY_SCHEMA, listing the known ones', () => {
    // Act
    const message = configurationError(() => loadIngestConfig({ ...INGEST_ENV, [ENV.BODY_SCHEMA]: 'xml' }));

    // Assess
    expect(message).toBe(
      "BODY_SCHEMA must be one of json-object, json, catering-registration or the path of a .json JSON Schema file, got 'xml'",
    );
  });

  it('fails on a BODY_SCHEMA that names an Object.prototype member', () => {
    // Act
    const message = configurationError(() =>
      loadIngestConfig({ ...INGEST_ENV, [ENV.BODY_SCHEMA]: 'toString' }),
    );

    // Assess
    expect(message).toContain("got 'toString'");
  });

  it.each(['0', '250001', '12.5', 'lots'])('fails on MAX_BODY_BYTES=%s, naming it and the value', (value) => {
    // Act
    const message = configurationError(() =>
      loadIngestConfig({ ...INGEST_ENV, [ENV.MAX_BODY_BYTES]: value }),
    );

    // Assess
    expect(message).toBe(`MAX_BODY_BYTES must be a whole number from 1 to 250000, got '${value}'`);
  });
});

describe('status record retention', () => {
  it('fails when RECORD_RETENTION_SECONDS is shorter than the queue and DLQ retention, naming the bound', () => {
    // Act
    const message = configurationError(() =>
      loadForwarderConfig({ ...FORWARDER_ENV, [ENV.RECORD_RETENTION_SECONDS]: String(27 * 86_400) }),
    );

    // Assess
    expect(message).toBe(
      `${ENV.RECORD_RETENTION_SECONDS} must be a whole number from ${28 * 86_400} to ${3650 * 86_400}, got '${27 * 86_400}'`,
    );
  });
});

describe('loadForwarderConfig', () => {
  it('reads the route, queues, table and target, with the default route settings for the rest', () => {
    // Act
    const config = loadForwarderConfig(FORWARDER_ENV);

    // Assess
    expect(config).toEqual({
      route: 'catering',
      queueUrl: QUEUE_URL,
      dlqUrl: FORWARDER_ENV[ENV.DLQ_URL],
      messageTableName: 't-messages',
      recordRetentionSeconds: 30 * 86_400,
      targetUrl: 'http://127.0.0.1:8080/catering',
      timeoutSeconds: DEFAULT_ROUTE.timeoutSeconds,
      maxAttempts: DEFAULT_ROUTE.maxAttempts,
      retry: DEFAULT_ROUTE.retry,
      nonRetryableStatuses: new Set(DEFAULT_ROUTE.nonRetryableStatuses),
      logPayloads: false,
      // Unsigned: no secret id, the default cache.
      signingSecretCacheSeconds: SIGNING_SECRET_CACHE_SECONDS,
    });
  });

  it("reads a signed route's secret id and Powertools' cache variable", () => {
    // Act
    const config = loadForwarderConfig({
      ...FORWARDER_ENV,
      [ENV.SIGNING_SECRET_ID]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:catering-AbCdEf',
      [ENV.SIGNING_SECRET_CACHE_SECONDS]: '5',
    });

    // Assess
    expect(config.signingSecretId).toBe(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:catering-AbCdEf',
    );
    expect(config.signingSecretCacheSeconds).toBe(5);
  });

  it('fails for a secret cache time that is not a whole number of seconds, naming the variable', () => {
    expect(() =>
      loadForwarderConfig({ ...FORWARDER_ENV, [ENV.SIGNING_SECRET_CACHE_SECONDS]: 'soon' }),
    ).toThrow(/POWERTOOLS_PARAMETERS_MAX_AGE must be a whole number from 0 to 3600, got 'soon'/);
  });

  it('reads the retry settings and statuses', () => {
    // Act
    const config = loadForwarderConfig({
      ...FORWARDER_ENV,
      [ENV.MAX_ATTEMPTS]: '6',
      [ENV.RETRY_BASE_SECONDS]: '3',
      [ENV.RETRY_MAX_SECONDS]: '90',
      [ENV.TARGET_TIMEOUT_SECONDS]: '4',
      [ENV.NON_RETRYABLE_STATUSES]: '400,422',
    });

    // Assess
    expect(config).toMatchObject({
      maxAttempts: 6,
      retry: { baseSeconds: 3, maxSeconds: 90 },
      timeoutSeconds: 4,
      nonRetryableStatuses: new Set([400, 422]),
    });
  });

  it.each([ENV.ROUTE_NAME, ENV.QUEUE_URL, ENV.DLQ_URL, ENV.MESSAGE_TABLE_NAME, ENV.TARGET_URL])(
    'fails without %s, naming it',
    (name) => {
      // Act
      const message = configurationError(() => loadForwarderConfig(without(FORWARDER_ENV, name)));

      // Assess
      expect(message).toBe(`${name} environment variable is not set`);
    },
  );

  it('fails on a TARGET_URL that is not a URL', () => {
    // Act
    const message = configurationError(() =>
      loadForwarderConfig({ ...FORWARDER_ENV, [ENV.TARGET_URL]: 'catering' }),
    );

    // Assess
    expect(message).toBe("TARGET_URL must be a URL, got 'catering'");
  });

  it('fails when RETRY_MAX_SECONDS is below RETRY_BASE_SECONDS', () => {
    // Act
    const message = configurationError(() =>
      loadForwarderConfig({ ...FORWARDER_ENV, [ENV.RETRY_BASE_SECONDS]: '10', [ENV.RETRY_MAX_SECONDS]: '5' }),
    );

    // Assess
    expect(message).toBe("RETRY_MAX_SECONDS must be a whole number from 10 to 43200, got '5'");
  });

  it('fails on MAX_ATTEMPTS=0', () => {
    // Act
    const message = configurationError(() =>
      loadForwarderConfig({ ...FORWARDER_ENV, [ENV.MAX_ATTEMPTS]: '0' }),
    );

    // Assess
    expect(message).toBe("MAX_ATTEMPTS must be a whole number from 1 to 1000, got '0'");
  });
});

describe('parseStatuses', () => {
  it('uses the fallback when the variable is unset', () => {
    // Act
    const statuses = parseStatuses(undefined, [400, 422]);

    // Assess
    expect(statuses).toEqual(new Set([400, 422]));
  });

  it('reads an empty value as "retry everything"', () => {
    // Act
    const statuses = parseStatuses('', [400, 422]);

    // Assess
    expect(statuses).toEqual(new Set());
  });

  it('tolerates spaces and empty items', () => {
    // Act
    const statuses = parseStatuses(' 400, 404 ,,422, ', []);

    // Assess
    expect(statuses).toEqual(new Set([400, 404, 422]));
  });

  it('fails on items that are not HTTP statuses, naming them', () => {
    // Act
    const message = configurationError(() => parseStatuses('400,abc,99,600,404.5', []));

    // Assess
    expect(message).toBe(
      "NON_RETRYABLE_STATUSES must be comma-separated HTTP statuses, got 'abc,99,600,404.5'",
    );
  });
});

describe('loadDrainerConfig', () => {
  it('reads the route map and table, with a 50 s budget by default', () => {
    // Act
    const config = loadDrainerConfig(DRAINER_ENV);

    // Assess
    expect(config).toEqual({
      failoverTableName: 't-failover',
      messageTableName: 't-messages',
      recordRetentionSeconds: 30 * 86_400,
      routeQueueUrls: { catering: QUEUE_URL },
      timeBudgetSeconds: 50,
    });
  });

  it.each([ENV.ROUTE_QUEUE_URLS, ENV.FAILOVER_TABLE_NAME, ENV.MESSAGE_TABLE_NAME])(
    'fails without %s, naming it',
    (name) => {
      // Act
      const message = configurationError(() => loadDrainerConfig(without(DRAINER_ENV, name)));

      // Assess
      expect(message).toBe(`${name} environment variable is not set`);
    },
  );

  it.each(['{catering: x}', 'null', '"catering"', '{"catering": 5}', '["http://q"]'])(
    'fails on ROUTE_QUEUE_URLS=%s, quoting it',
    (raw) => {
      // Act
      const message = configurationError(() =>
        loadDrainerConfig({ ...DRAINER_ENV, [ENV.ROUTE_QUEUE_URLS]: raw }),
      );

      // Assess
      expect(message).toBe(`ROUTE_QUEUE_URLS must be a JSON object of route name to queue URL, got '${raw}'`);
    },
  );

  it('fails on a DRAIN_TIME_BUDGET_SECONDS beyond the Lambda limit', () => {
    // Act
    const message = configurationError(() =>
      loadDrainerConfig({ ...DRAINER_ENV, [ENV.DRAIN_TIME_BUDGET_SECONDS]: '900' }),
    );

    // Assess
    expect(message).toBe("DRAIN_TIME_BUDGET_SECONDS must be a whole number from 1 to 840, got '900'");
  });
});
