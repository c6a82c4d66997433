import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Env } from '../shared/config/env-names.js';
import type { DeliveryConfig } from '../shared/config/routes.js';
import { publishedRoutesPath } from './local-stack-contract.js';

/**
 * Publishes the routes the local stack runs where `gd --local` looks for them
 * ({@link publishedRoutesPath}): a routes file, written whole (renamed into place) once the stack
 * runs. The returned function removes it again, unless another stack under the same prefix has
 * published its own since.
 */
export async function publishRoutes(env: Env, config: DeliveryConfig): Promise<() => Promise<void>> {
  const path = publishedRoutesPath(env);
  const text = `${JSON.stringify(config, null, 2)}\n`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, text, { mode: 0o600 });
  await rename(partial, path);
  return async () => {
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === text) await rm(path, { force: true });
  };
}
