import { createServer } from 'node:net';
import { type Env, intEnv, USER_ENV } from '../shared/config/env-names.js';
import type { DeliveryConfig, RouteConfig } from '../shared/config/routes.js';
import { ConfigurationError } from '../shared/errors.js';
import type { LogFormat } from './journey-log.js';
import {
  DEFAULT_DEMO_BACKEND_PORT,
  DEFAULT_LOCAL_AWS_PORT,
  DEFAULT_PORT,
  emulatorCredentials,
  LOCAL_ENV,
  localPrefix,
} from './local-stack-contract.js';

/**
 * The local runner's own settings and the checks it makes before starting anything: ports, prefix,
 * log format, AWS defaults for the in-process functions, and whether the demo backend is wanted.
 */

/** The runner's own settings, checked before anything starts. */
export interface RunnerSettings {
  readonly port: number;
  readonly demoBackendPort: number;
  readonly awsPort: number;
  readonly prefix: string;
  readonly apiKey: string | undefined;
  readonly logFormat: LogFormat;
}

/** Reads and checks the runner's variables; a bad value fails with its name and how to fix it. */
export function loadRunnerSettings(env: Env): RunnerSettings {
  const prefix = localPrefix(env);
  // Queue names allow letters, digits, - and _ (80 characters with the suffixes added here).
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(prefix)) {
    throw new ConfigurationError(
      `${LOCAL_ENV.LOCAL_PREFIX} must be 1-24 letters, digits, '-' or '_', got '${prefix}'`,
    );
  }
  const format = env[LOCAL_ENV.LOG_FORMAT]?.trim().toLowerCase() || 'journey';
  if (format !== 'journey' && format !== 'json') {
    throw new ConfigurationError(`${LOCAL_ENV.LOG_FORMAT} must be 'journey' or 'json', got '${format}'`);
  }
  const apiKey = env[LOCAL_ENV.LOCAL_API_KEY];
  return {
    port: intEnv(env, USER_ENV.PORT, DEFAULT_PORT, 0, 65_535),
    demoBackendPort: intEnv(env, LOCAL_ENV.DEMO_BACKEND_PORT, DEFAULT_DEMO_BACKEND_PORT, 0, 65_535),
    awsPort: intEnv(env, LOCAL_ENV.LOCAL_AWS_PORT, DEFAULT_LOCAL_AWS_PORT, 0, 65_535),
    prefix,
    apiKey: apiKey === undefined || apiKey === '' ? undefined : apiKey,
    logFormat: format,
  };
}

/** Fails with a clear message when the port is taken (moto would otherwise exit with a Python trace,
 * or, worse, an earlier moto on that port would answer in its place). */
export async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', () =>
      reject(
        new ConfigurationError(
          `port ${port} for the local moto server is in use (an earlier moto_server?); set ` +
            `${LOCAL_ENV.LOCAL_AWS_PORT} (0 = any free port), or ${LOCAL_ENV.AWS_ENDPOINT_URL} to use what runs there`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/**
 * The SDK reads credentials and region from the environment; an emulator accepts any. Dummy keys
 * also win over a configured AWS_PROFILE, so real credentials are never sent to an emulator.
 */
export function ensureAwsDefaults(): void {
  process.env.AWS_REGION ??= process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (!process.env.AWS_ACCESS_KEY_ID) {
    // The functions run in-process and build their clients from the environment, as on Lambda.
    const credentials = emulatorCredentials(process.env);
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  }
}

/** `2-300s` (exponential) or `5, 300, 1800s` (a schedule), for the provisioning line. */
export function describeRetry(route: RouteConfig): string {
  return 'schedule' in route.retry
    ? `${route.retry.schedule.join(', ')}s`
    : `${route.retry.baseSeconds}-${route.retry.maxSeconds}s`;
}

/**
 * Without a routes file, the demo backend stands in for an unset CATERING_SERVICE_EP. With one, it
 * runs when a route targets it (`http://127.0.0.1:<DEMO_BACKEND_PORT>/...`, as the examples do), so
 * a copied example delivers without a backend of one's own.
 */
export function wantsDemoBackend(env: Env, config: DeliveryConfig, demoBackendPort: number): boolean {
  if (!env[USER_ENV.DELIVERY_CONFIG]?.trim()) return !env[USER_ENV.CATERING_SERVICE_EP]?.trim();
  return config.routes.some((route) => {
    const target = new URL(route.target);
    return (
      ['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname) && target.port === String(demoBackendPort)
    );
  });
}
