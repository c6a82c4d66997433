import { describe, expect, it } from 'vitest';
import { localSigningPlan } from '../../local/signing-secrets.js';
import { DEFAULT_ROUTE } from '../../shared/config/routes.js';
import { generateSecret } from '../../shared/signing/webhook-signature.js';
import { configurationError } from '../support/configuration-error.js';
import { ORDERS_ROUTE } from '../support/route-fixtures.js';

describe('localSigningPlan (which routes npm start signs, and with what)', () => {
  it('signs the default route with SIGNING_SECRET and leaves an unsigned route alone', () => {
    // Prepare
    const secret = generateSecret();

    // Act
    const plan = localSigningPlan([DEFAULT_ROUTE, ORDERS_ROUTE], { SIGNING_SECRET: secret }, 'gd-local');

    // Assess
    expect(plan).toEqual([
      {
        route: 'catering',
        secretName: 'gd-local/catering/signing',
        seededFrom: 'SIGNING_SECRET',
        seed: secret,
        isDefaultRoute: true,
      },
    ]);
  });

  it('seeds a signed route from its localSecretEnv, or generates a secret when the variable is unset', () => {
    // Prepare
    const secret = generateSecret();
    const orders = { ...ORDERS_ROUTE, signing: { localSecretEnv: 'ORDERS_SIGNING_SECRET' } };

    // Act
    const seeded = localSigningPlan([DEFAULT_ROUTE, orders], { ORDERS_SIGNING_SECRET: secret }, 'p');
    const generated = localSigningPlan([DEFAULT_ROUTE, orders], {}, 'p');

    // Assess
    expect(seeded).toEqual([
      expect.objectContaining({ route: 'order-events', seed: secret, isDefaultRoute: false }),
    ]);
    expect(generated[0]?.seededFrom).toBeUndefined();
    expect(generated[0]?.seed).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });

  it('fails for a seed that is not a whsec_ secret, naming the variable and not the value', () => {
    // Act
    const { message } = configurationError(() =>
      localSigningPlan([DEFAULT_ROUTE], { SIGNING_SECRET: 'hunter2-hunter2' }, 'p'),
    );

    // Assess
    expect(message).toMatch(/^SIGNING_SECRET: a signing secret must start with 'whsec_'/);
    expect(message).not.toContain('hunter2');
  });
});
