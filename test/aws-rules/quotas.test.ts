import { afterAll, describe, expect, it } from 'vitest';
import { routeGroupId, routeGroupOf } from '../../shared/config/route-groups.js';
import { routeOutputPrefix } from '../../shared/config/route-output-prefix.js';
import { MAX_ROUTES_PER_STACK } from '../../shared/config/stack-capacity.js';
import { checkQuotas, type QuotaViolation } from './aws-quotas.js';
import { type AssemblyTemplate, type SynthesizedAssembly, synthesizeRoutesFile } from './cloud-assembly.js';
import { DeploymentNames, LONGEST_REGION_TARGET } from './deployment-names.js';
import { mixedRoutesDocument, routesDocument } from './routes-documents.js';

/** Everything that adds resources or variables: alarms by email, a continuing-delivery schedule. */
const FULL_OPERATIONS = { ALARM_EMAIL: 'ops@example.com', AUTO_REDRIVE_SCHEDULE_MINUTES: '60' };

/** A routes file of the most routes the stack holds takes a minute or two to synthesize on a busy machine. */
const LARGE_SYNTH_TIMEOUT_MS = 900_000;

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
    return assembly;
  };
  const namesOf = (assembly: SynthesizedAssembly) =>
    new DeploymentNames(assembly.templates, LONGEST_REGION_TARGET);

  for (const count of [1, 25]) {
    it(`holds a routes file of ${count} route(s) of every shape, REST front door, on-demand tables`, () => {
      // Prepare + Act: the app `cdk synth` builds, every template of its assembly resolved as deployed.
      const names = namesOf(synth(routesDocument(count)));

      // Assess
      expect(names.templates.length).toBeGreaterThan(0);
      expect(describe_(checkQuotas(names))).toEqual([]);
    });
  }

  describe(`${MAX_ROUTES_PER_STACK} routes with every option mixed in`, () => {
    const document = mixedRoutesDocument(MAX_ROUTES_PER_STACK);
    const removed = document.routes[17] as { name: string };
    let full: SynthesizedAssembly;

    it(
      'synthesizes within every quota',
      () => {
        // Prepare + Act
        full = synth(document);

        // Assess
        expect(describe_(checkQuotas(namesOf(full)))).toEqual([]);
      },
      LARGE_SYNTH_TIMEOUT_MS,
    );

    it(
      "leaves every other route's resources, and their logical ids, as they were when route 17 is removed",
      () => {
        // Prepare
        const without = synth({ ...document, routes: document.routes.filter((route) => route !== removed) });
        const before = byName(full.templates);
        const after = byName(without.templates);
        const group = routeGroupId(routeGroupOf(removed.name));
        const ofRemoved = (id: string) => id.startsWith(`${routeOutputPrefix(removed.name)}Route`);

        // Act: what changed, template by template.
        const changed: string[] = [];
        for (const [name, template] of before) {
          const other = after.get(name);
          const resources = template.template.Resources ?? {};
          const otherResources = other?.template.Resources ?? {};
          const kept = (id: string) => {
            if (!other) return false;
            if (JSON.stringify(resources[id]) === JSON.stringify(otherResources[id])) return true;
            const type = resources[id]?.Type;
            if (!template.parent) {
              // The parent: its nested stack of that group (a new template), the dashboard's route
              // list, and the code of the functions that serve every route (their route table asset).
              return (
                (type === 'AWS::CloudFormation::Stack' && id.startsWith(group)) ||
                type === 'AWS::CloudWatch::Dashboard' ||
                (type === 'AWS::Lambda::Function' &&
                  JSON.stringify(withoutCode(resources[id])) ===
                    JSON.stringify(withoutCode(otherResources[id])))
              );
            }
            // The group's one queue policy lists its queues.
            return name.includes(`/${group}`) && type === 'AWS::SQS::QueuePolicy';
          };
          for (const id of Object.keys(resources)) {
            if (ofRemoved(id)) {
              if (id in otherResources) changed.push(`${name}/${id} is still there`);
            } else if (!kept(id)) {
              changed.push(`${name}/${id}`);
            }
          }
          for (const id of Object.keys(otherResources)) {
            if (!(id in resources)) changed.push(`${name}/${id} is new`);
          }
        }

        // Assess
        expect(before.size).toBe(after.size);
        expect(changed).toEqual([]);
        const groupTemplate = [...before.values()].find((t) => t.name.includes(`/${group}`));
        expect(Object.keys(groupTemplate?.template.Resources ?? {}).some(ofRemoved)).toBe(true);
      },
      LARGE_SYNTH_TIMEOUT_MS,
    );
  });

  it(
    `holds ${MAX_ROUTES_PER_STACK} routes behind an HTTP API with provisioned tables`,
    () => {
      // Prepare + Act
      const names = namesOf(
        synth(
          routesDocument(MAX_ROUTES_PER_STACK, {
            frontDoor: { type: 'http-api', authorization: { type: 'iam' } },
            tableBilling: {
              mode: 'provisioned',
              writeCapacity: { min: 5, max: 500 },
              readCapacity: { min: 5, max: 500 },
              targetUtilizationPercent: 70,
            },
          }),
        ),
      );

      // Assess
      expect(describe_(checkQuotas(names))).toEqual([]);
    },
    LARGE_SYNTH_TIMEOUT_MS,
  );
});

/** The templates of an assembly by name (a nested stack's name holds its group's id). */
function byName(templates: readonly AssemblyTemplate[]): Map<string, AssemblyTemplate> {
  return new Map(templates.map((template) => [template.name, template]));
}

/** A function resource without its code: what stays when only its bundled assets change. */
function withoutCode(resource: unknown): unknown {
  const { Properties, ...rest } = (resource ?? {}) as { Properties?: Record<string, unknown> };
  const { Code: _code, ...properties } = Properties ?? {};
  return { ...rest, Properties: properties };
}
