import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

const BIN = fileURLToPath(new URL('../../bin/gd.js', import.meta.url));

/** Runs the real `gd` launcher in a child process, as `npx gd` does; resolves with its exit code. */
async function gd(args: readonly string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      // Only what the CLI needs: no credentials or endpoints of the shell running the tests.
      env: { PATH: process.env.PATH ?? '', AWS_EC2_METADATA_DISABLED: 'true', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('gd as a process (bin/gd.js)', () => {
  let fixture: CliFixture;

  beforeEach(async () => {
    // Prepare
    fixture = await createCliFixture();
  });

  it('prints the status as JSON and exits 0', async () => {
    // Prepare
    await fixture.deadLetter('dead-1', { reason: 'backend answered 503', attempts: 4, lastStatus: 503 });

    // Act
    const result = await gd(['status', '--json'], fixture.env);

    // Assess
    // Not empty-checked: under Node 20 the AWS SDK prints a deprecation warning there.
    expect(result.stderr).not.toContain('gd:');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      routes: [{ route: 'catering', queueDepth: 0, dlqDepth: 1, failoverBacklog: 0, paused: false }],
    });
  });

  it('rejects an unknown route with exit code 2 and a message on stderr', async () => {
    // Act
    const result = await gd(['redrive', '--route', 'nope'], fixture.env);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^gd: unknown route 'nope'; this stack has: catering\n$/m);
  });
});
