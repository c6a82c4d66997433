import { afterAll, describe, expect, it } from 'vitest';
import { MAX_ROUTES_PER_STACK } from '../../shared/config/stack-capacity.js';
import { checkQuotas, type QuotaViolation } from './aws-quotas.js';
import { type SynthesizedAssembly, synthesizeRoutesFile } from './cloud-assembly.js';
import { DeploymentNames, LONGEST_REGION_TARGET } from './deployment-names.js';
import { routesDocument } from './routes-documents.js';

/** Route counts the issue of scale asks for; those above what the stack holds wait for a layout that holds them. */
const ROUTE_COUNTS = [1, 25, MAX_ROUTES_PER_STACK].filter(
  (count, index, all) => count <= MAX_ROUTES_PER_STACK && all.indexOf(count) === index,
);

/** Everything that adds resources or variables: alarms by email, a continuing-delivery schedule. */
const FULL_OPERATIONS = { ALARM_EMAIL: 'ops@example.com', AUTO_REDRIVE_SCHEDULE_MINUTES: '60' };

/** One line per violation, so a failing run reads as a list of what AWS would refuse. */
function describe_(violations: readonly QuotaViolation[]): string[] {
  return violations.map((violation) => `${violation.where}: ${violation.quota}: ${violation.message}`);
}

describe("AWS's quotas on the synthesized templates", () => {
  const assemblies: SynthesizedAssembly[] = [];
  afterAll(() => {
    for (const assembly of assemblies) assembly.dispose();
  });

  const synth = (document: unknown) => {
    const assembly = synthesizeRoutesFile(document, FULL_OPERATIONS);
    assemblies.push(assembly);
    return new DeploymentNames(assembly.templates, LONGEST_REGION_TARGET);
  };

  for (const count of ROUTE_COUNTS) {
    it(`holds a routes file of ${count} route(s) of every shape, REST front door, on-demand tables`, () => {
      // Prepare + Act: the app `cdk synth` builds, every template of its assembly resolved as deployed.
      const names = synth(routesDocument(count));

      // Assess
      expect(names.templates.length).toBeGreaterThan(0);
      expect(describe_(checkQuotas(names))).toEqual([]);
    });
  }

  it(`holds ${MAX_ROUTES_PER_STACK} routes behind an HTTP API with provisioned tables`, () => {
    // Prepare + Act
    const names = synth(
      routesDocument(MAX_ROUTES_PER_STACK, {
        frontDoor: { type: 'http-api', authorization: { type: 'iam' } },
        tableBilling: {
          mode: 'provisioned',
          writeCapacity: { min: 5, max: 500 },
          readCapacity: { min: 5, max: 500 },
          targetUtilizationPercent: 70,
        },
      }),
    );

    // Assess
    expect(describe_(checkQuotas(names))).toEqual([]);
  });
});
