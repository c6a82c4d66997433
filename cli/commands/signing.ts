import { SigningSecretStore } from '../../shared/aws/signing-secret-store.js';
import { describeError } from '../../shared/errors.js';
import { SIGNING_SECRET_CACHE_SECONDS } from '../../shared/signing/signing-keys.js';
import {
  activeSecrets,
  DEFAULT_GRACE_SECONDS,
  type SigningSecretValue,
} from '../../shared/signing/signing-secret-value.js';
import { OperationFailedError, UsageError } from '../errors.js';
import { type Output, printJson } from '../output.js';
import { findRoute, type RouteTarget, type StackTarget } from '../stack/stack-target.js';

/** What `gd signing show` prints (the `--json` document), and `gd signing rotate` after rotating. */
export interface SigningReport {
  readonly route: string;
  readonly secretId: string;
  /** Signs every delivery; what a receiver configures. */
  readonly current: string;
  /** Older secrets that still sign until their expiry (a rotation's grace). */
  readonly previous: readonly { readonly secret: string; readonly expiresAt: string }[];
}

/** `gd signing show`'s options. */
export interface SigningShowOptions {
  readonly json: boolean;
  readonly route?: string;
}

/** `gd signing rotate`'s options. */
export interface SigningRotateOptions extends SigningShowOptions {
  /** How long the old secret keeps signing, in seconds (`--grace 24h` parsed). @default 24 h */
  readonly graceSeconds?: number;
}

function signedRoute(
  stack: StackTarget,
  name: string | undefined,
  verb: string,
): RouteTarget & { signingSecretId: string } {
  if (name === undefined) {
    throw new UsageError(
      `signing ${verb} needs --route NAME (one of: ${stack.routes.map((route) => route.name).join(', ')})`,
    );
  }
  const route = findRoute(stack, name);
  if (!route.signingSecretId) throw notSigned(route.name);
  return { ...route, signingSecretId: route.signingSecretId };
}

function notSigned(route: string): UsageError {
  return new UsageError(
    `route ${route} does not sign its deliveries; turn it on with "signing": true in its route ` +
      'configuration (locally, SIGNING_SECRET=whsec_... signs the default route)',
  );
}

function report(route: string, secretId: string, value: SigningSecretValue, now: Date): SigningReport {
  const live = new Set(activeSecrets(value, now));
  return {
    route,
    secretId,
    current: value.current,
    previous: value.previous.filter((p) => live.has(p.secret) && p.secret !== value.current),
  };
}

function printReport(output: Output, signing: SigningReport): void {
  output.out(`${signing.route}: signing secret ${signing.secretId}`);
  output.out(`  current   ${signing.current}`);
  for (const previous of signing.previous) {
    output.out(`  previous  ${previous.secret}  (also signs until ${previous.expiresAt})`);
  }
}

async function readOrFail<T>(secretId: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new OperationFailedError(`could not use signing secret ${secretId}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/**
 * `gd signing show --route R`: the secret a receiver of the route configures (`whsec_...`), and
 * during a rotation the previous one with the time it stops signing. It prints secrets: it is
 * meant for the person who hands them to the receiver.
 */
export async function signingShowCommand(
  stack: StackTarget,
  options: SigningShowOptions,
  output: Output,
): Promise<number> {
  const route = signedRoute(stack, options.route, 'show');
  const store = new SigningSecretStore(stack.secretsManager);
  const value = await readOrFail(route.signingSecretId, () => store.read(route.signingSecretId));
  if (!value) throw notSigned(route.name);
  const signing = report(route.name, route.signingSecretId, value, new Date());
  if (options.json) printJson(output, signing);
  else {
    printReport(output, signing);
    output.out('Receivers verify with the current secret; during a grace either one verifies.');
  }
  return 0;
}

/**
 * `gd signing rotate --route R [--grace 24h]`: a new random secret becomes current; the old one
 * keeps signing for the grace period, so `webhook-signature` carries both and receivers switch
 * without a failed delivery. Forwarders see the change within their cache time.
 */
export async function signingRotateCommand(
  stack: StackTarget,
  options: SigningRotateOptions,
  output: Output,
): Promise<number> {
  const route = signedRoute(stack, options.route, 'rotate');
  const graceSeconds = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const store = new SigningSecretStore(stack.secretsManager);
  const now = new Date();
  const rotated = await readOrFail(route.signingSecretId, () =>
    store.rotate(route.signingSecretId, graceSeconds, now),
  );
  if (!rotated) throw notSigned(route.name);
  const signing = report(route.name, route.signingSecretId, rotated, now);
  if (options.json) printJson(output, { ...signing, graceSeconds });
  else {
    printReport(output, signing);
    output.out(
      graceSeconds > 0
        ? `Rotated. Give receivers the new current secret before the previous one stops signing; forwarders use it within ${SIGNING_SECRET_CACHE_SECONDS} s.`
        : `Rotated with no grace: forwarders sign with the new secret alone within ${SIGNING_SECRET_CACHE_SECONDS} s.`,
    );
  }
  return 0;
}
