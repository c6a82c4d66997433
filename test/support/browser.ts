import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, driven by playwright-core: no browser is ever downloaded. .ci/run
 * installs it (`apt-get install -y chromium`) where it is missing.
 */

/** Where Debian's package puts it; CHROMIUM_PATH names another build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The switches that keep it to itself: no GPU, no QUIC, and none of the background connections
 * (component updates, sync, field trials) a closed network would refuse many at a time.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A browser with a fresh profile of its own; `close` ends it and removes the profile. `extraArgs`
 * add switches (say, `--host-resolver-rules` to give a test host name an address on loopback).
 */
export async function launchChromium(
  options: { viewport?: { width: number; height: number }; extraArgs?: readonly string[] } = {},
) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install -y chromium), as .ci/run does, or set CHROMIUM_PATH`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'gd-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])],
    viewport: options.viewport ?? { width: 1100, height: 560 },
    // Light colours, whatever the machine prefers: the screenshots go into the docs.
    colorScheme: 'light',
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
