import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `@aws-sdk/client-sqs/dist` → `@aws-sdk/client-sqs`; `zod/mini` → `zod`. */
const packageName = (path: string) =>
  path
    .split('/')
    .slice(0, path.startsWith('@') ? 2 : 1)
    .join('/');

describe('gd at run time', () => {
  it('needs only the packages listed as dependencies (an install without dev dependencies runs it)', async () => {
    // Prepare
    const manifest = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as {
      bin: Record<string, string>;
      dependencies: Record<string, string>;
    };
    const entry = manifest.bin.gd;
    if (!entry) throw new Error('package.json has no bin gd');

    // Act: every package the launcher and the CLI import, statically or on demand, as esbuild resolves them.
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outdir: 'unused',
    });
    const imported = new Set(
      Object.values(result.metafile.inputs)
        .flatMap((input) => input.imports)
        .filter((imported) => imported.external && !imported.path.startsWith('node:'))
        .map((imported) => packageName(imported.path))
        .filter((name) => !builtinModules.includes(name)),
    );

    // Assess
    expect(imported).toContain('tsx');
    expect(imported).toContain('commander');
    expect([...imported].filter((name) => !(name in manifest.dependencies))).toEqual([]);
  });
});
