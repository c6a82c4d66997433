import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/cli.js';
import { memoryOutput } from '../../cli/output.js';
import { type CliFixture, createCliFixture } from './cli-fixture.js';

const BIN = fileURLToPath(new URL('../../bin/gd.js', import.meta.url));

describe('gd --local and the environment it is given', () => {
  let fixture: CliFixture;

  beforeEach(async () => {
    // Prepare
    fixture = await createCliFixture();
  });

  it('signs emulator calls with stand-in keys even when an AWS_PROFILE is configured', async () => {
    // Prepare: a shell with a profile and no keys; the profile cannot be loaded, so any use of it fails.
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: fixture.env.AWS_ENDPOINT_URL,
      LOCAL_PREFIX: fixture.prefix,
      AWS_REGION: 'us-east-1',
      AWS_PROFILE: 'gd-test-profile-that-does-not-exist',
      AWS_CONFIG_FILE: '/nonexistent/gd-test/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/gd-test/credentials',
    };

    // Act
    const result = await promisify(execFile)(process.execPath, [BIN, 'status', '--local', '--json'], {
      env,
      timeout: 30_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );

    // Assess
    expect(result.stderr).not.toContain('gd:');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ routes: [{ route: 'catering', queueDepth: 0 }] });
  });

  it("reads continuing delivery's settings from the given environment, not the process's", async () => {
    // Prepare
    const memoryEnv = { ...fixture.env, AUTO_REDRIVE_MAX_ROUNDS: '0' };

    // Act
    const memory = memoryOutput();
    const code = await runCli(['keep-trying', '--local', '--json'], {
      env: memoryEnv,
      output: memory.output,
    });

    // Assess
    expect(code).toBe(1);
    expect(memory.lines.err.join('\n')).toMatch(
      /^gd: Invalid operations configuration: AUTO_REDRIVE_MAX_ROUNDS/,
    );
  });
});
