import { beforeEach, describe, expect, it } from 'vitest';
import { localSigningPlan, provisionSigningSecrets } from '../../local/signing-secrets.js';
import { createSecretsManagerClient } from '../../shared/aws/clients.js';
import { generateSecret } from '../../shared/signing/webhook-signature.js';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

/** `gd signing show / rotate` through the real command line, on the local stack's Secrets Manager. */
describe('gd signing (local stack)', () => {
  let fixture: CliFixture;

  beforeEach(async () => {
    fixture = await createCliFixture();
  });

  /** The default route signed as `SIGNING_SECRET=<secret> npm start` signs it. */
  async function signDefaultRoute(secret: string): Promise<void> {
    const plan = localSigningPlan([fixture.route], { SIGNING_SECRET: secret }, fixture.prefix);
    await provisionSigningSecrets(
      createSecretsManagerClient({ endpoint: fixture.env.AWS_ENDPOINT_URL }),
      plan,
    );
  }

  it('shows the secret a receiver configures, and after a rotation the old one with its expiry', async () => {
    // Prepare
    const secret = generateSecret();
    await signDefaultRoute(secret);

    // Act
    const shown = await fixture.run(['signing', 'show', '--route', 'catering']);
    const rotated = await fixture.run([
      'signing',
      'rotate',
      '--route',
      'catering',
      '--grace',
      '2h',
      '--json',
    ]);
    const after = await fixture.run(['signing', 'show', '--route', 'catering', '--json']);

    // Assess
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`current   ${secret}`);
    expect(rotated.code).toBe(0);
    const report = rotated.json<{
      current: string;
      previous: { secret: string; expiresAt: string }[];
      graceSeconds: number;
    }>();
    expect(report.graceSeconds).toBe(7200);
    expect(report.current).not.toBe(secret);
    expect(report.previous.map((p) => p.secret)).toEqual([secret]);
    expect(Date.parse(report.previous[0]?.expiresAt ?? '') - Date.now()).toBeGreaterThan(7_100_000);
    expect(after.json()).toEqual({
      route: 'catering',
      secretId: `${fixture.prefix}/catering/signing`,
      current: report.current,
      previous: report.previous,
    });
  });

  it('rejects an unsigned route and a bad grace as usage errors (exit 2)', async () => {
    // Act
    const unsigned = await fixture.run(['signing', 'show', '--route', 'catering']);
    const badGrace = await fixture.run(['signing', 'rotate', '--route', 'catering', '--grace', 'a week']);
    const noRoute = await fixture.run(['signing', 'rotate']);

    // Assess
    expect(unsigned.code).toBe(2);
    expect(unsigned.err).toMatch(/route catering does not sign its deliveries/);
    expect(badGrace.code).toBe(2);
    expect(badGrace.err).toMatch(/--grace: grace must look like 24h/);
    expect(noRoute.code).toBe(2);
    expect(noRoute.err).toMatch(/signing rotate needs --route NAME \(one of: catering\)/);
  });
});
