import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { toRouteIntake } from '../../shared/config/route-document.js';
import { ROUTE_TABLE_FILE } from '../../shared/config/route-table.js';
import type { RouteConfig } from '../../shared/config/routes.js';
import { isBuiltInBodySchema } from '../../shared/schemas/body-schemas.js';
import type { AssetFile } from './delivery-function.js';

/**
 * The route table of the functions that serve every route (shared/config/route-table.ts), written at
 * synth into a folder of its own and copied into each such function's asset, with the routes' JSON
 * Schema files (each under `schemas/<n>/`, so two files of one name never clash). The asset changes
 * when the routes do, and so does the code CloudFormation deploys; the environment never grows.
 */
export function routeTableAsset(routes: readonly RouteConfig[]): AssetFile[] {
  const folder = mkdtempSync(join(tmpdir(), 'gd-route-table-'));
  const schemaTargets = new Map<string, string>();
  const intakes = routes.map((route) => {
    const intake = toRouteIntake(route);
    if (intake.schema === undefined || isBuiltInBodySchema(intake.schema)) return intake;
    let target = schemaTargets.get(intake.schema);
    if (target === undefined) {
      target = `schemas/${schemaTargets.size}/${basename(intake.schema)}`;
      schemaTargets.set(intake.schema, target);
    }
    return { ...intake, schema: target };
  });
  const tableFile = join(folder, ROUTE_TABLE_FILE);
  writeFileSync(tableFile, JSON.stringify({ routes: intakes }));
  return [
    { source: tableFile, target: ROUTE_TABLE_FILE },
    ...[...schemaTargets].map(([source, target]) => ({ source, target })),
  ];
}
