#!/usr/bin/env node
// Runs before `npm start` and `npm test` so the README's two commands work on a fresh clone:
// installs the locked dependencies (including the Node 24 binary the scripts run on) when they
// are missing or older than package-lock.json. Plain JS on purpose: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.log('Installing dependencies from package-lock.json...');
  // `npm ci`, not `npm install`: installs exactly the lock and never rewrites it, so a first
  // `npm start` or `npm test` leaves `git status` clean.
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
