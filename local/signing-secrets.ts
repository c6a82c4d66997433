import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerClient } from '../shared/aws/clients.js';
import { SigningSecretStore } from '../shared/aws/signing-secret-store.js';
import type { Env } from '../shared/config/env-names.js';
import type { RouteConfig } from '../shared/config/routes.js';
import { ConfigurationError } from '../shared/errors.js';
import { localSigningSecretName } from '../shared/resource-names.js';
import { decodeSecret, generateSecret } from '../shared/signing/webhook-signature.js';

/** Signs the default (first) route locally with this `whsec_...` secret. */
export const SIGNING_SECRET_ENV = 'SIGNING_SECRET';

/** A route the local stack signs, and where its first secret comes from. */
export interface LocalSigning {
  readonly route: string;
  /** Name of its secret in the emulator's Secrets Manager. */
  readonly secretName: string;
  /** The variable the seed came from; undefined when the secret was generated. */
  readonly seededFrom?: string;
  readonly seed: string;
  /** Whether it is the default (first) route, the one SIGNING_SECRET seeds. */
  readonly isDefaultRoute: boolean;
}

/**
 * Which routes the local stack signs: the default route when `SIGNING_SECRET` is set, and every
 * route whose `signing` option is on (seeded from its `localSecretEnv`, or generated). A seed that
 * is not a valid `whsec_` secret fails here, before anything starts, naming the variable only.
 */
export function localSigningPlan(routes: readonly RouteConfig[], env: Env, prefix: string): LocalSigning[] {
  return routes.flatMap((route, index) => {
    const variable =
      index === 0 && env[SIGNING_SECRET_ENV]?.trim() ? SIGNING_SECRET_ENV : route.signing?.localSecretEnv;
    if (!route.signing && variable !== SIGNING_SECRET_ENV) return [];
    const given = variable ? env[variable]?.trim() : undefined;
    if (given) {
      try {
        decodeSecret(given);
      } catch (error) {
        throw new ConfigurationError(`${variable}: ${(error as Error).message}`);
      }
    }
    return [
      {
        route: route.name,
        secretName: localSigningSecretName(prefix, route.name),
        ...(given ? { seededFrom: variable } : {}),
        seed: given ?? generateSecret(),
        isDefaultRoute: index === 0,
      },
    ];
  });
}

/** Creates each planned secret in the emulator; one that already exists (a reused endpoint) is kept. */
export async function provisionSigningSecrets(
  client: SecretsManagerClient,
  plan: readonly LocalSigning[],
): Promise<Map<string, 'created' | 'exists'>> {
  const store = new SigningSecretStore(client);
  const outcomes = new Map<string, 'created' | 'exists'>();
  for (const signing of plan) {
    const outcome = await store.create(
      signing.secretName,
      { current: signing.seed, previous: [] },
      `Standard Webhooks signing secret of the local ${signing.route} route`,
    );
    outcomes.set(signing.route, outcome);
  }
  return outcomes;
}

/** The local stack's signed routes, once their secrets exist. */
export interface LocalSigningSecrets {
  /** Route name → its secret's name, for the forwarders' environment. */
  readonly secretIds: ReadonlyMap<string, string>;
  /** Releases the client. */
  stop(): Promise<void>;
}

/**
 * Creates the planned secrets in the emulator at `endpoint` and reports, per route, where its secret
 * came from (never the secret). The default route's note says how to choose its secret.
 */
export async function startLocalSigning(
  plan: readonly LocalSigning[],
  endpoint: string,
  note: (verb: string, text: string) => void,
): Promise<LocalSigningSecrets> {
  if (plan.length === 0) return { secretIds: new Map(), stop: async () => undefined };
  const client = createSecretsManagerClient({ endpoint });
  const outcomes = await provisionSigningSecrets(client, plan).catch((error: unknown) => {
    client.destroy();
    throw error;
  });
  for (const signing of plan) {
    const origin =
      outcomes.get(signing.route) === 'exists'
        ? 'kept the existing secret'
        : signing.seededFrom
          ? `from ${signing.seededFrom}`
          : `generated${signing.isDefaultRoute ? ` (set ${SIGNING_SECRET_ENV} to choose it)` : ''}`;
    note(
      'signing',
      `${signing.route}: deliveries signed (Standard Webhooks) with secret ${signing.secretName}, ${origin}; gd signing show --route ${signing.route}`,
    );
  }
  return {
    secretIds: new Map(plan.map((signing) => [signing.route, signing.secretName])),
    stop: async () => client.destroy(),
  };
}
