import { defineConfig } from 'vitest/config';

/**
 * Eight suites, each runnable alone (`npm run test:<name>`): unit (pure logic and handlers), infra
 * (CDK Template assertions and cdk-nag), integration (real SQS/DynamoDB APIs on a local emulator,
 * real HTTP on loopback), cli, scenarios, chaos, security and aws-rules. Those on the emulator share one moto
 * server started by test/support/global-setup.ts.
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    projects: [
      // The fast-check properties run a hundred cases each: 5 s (the default) is tight on a busy
      // two-core machine, and a unit test's duration is not what it asserts.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      // Synthesis bundles every function with esbuild: slower than a unit test.
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // The functions' EMF lines are for CloudWatch; here they would only bury the test output.
          env: { POWERTOOLS_METRICS_DISABLED: 'true' },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // The gd CLI against the local stack on the emulator, in-process and as a child process.
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          // The functions' EMF lines are for CloudWatch; here they would only bury the test output.
          env: { POWERTOOLS_METRICS_DISABLED: 'true' },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // Black-box scenarios (the reference product's catering scenario and others) over HTTP against `npm start`'s runner as a child process. One
      // file at a time: each starts a runner, and their "answered within ~2.5 s" bounds need the CPU.
      {
        extends: true,
        test: {
          name: 'scenarios',
          include: ['test/scenarios/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
      // Fault injection (the promises: 202 means durable, nothing lost, one id, fast failover): the fault proxy, and the chaos run against the local
      // stack in-process. One file at a time: the chaos run needs the CPU (CHAOS_MESSAGES sets its size).
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // AWS's own rules held to the code (npm run test:aws-rules): quotas on the synthesized templates,
      // every AWS call the functions and gd make evaluated against the template's IAM policies, the
      // state machines validated and executed. Synthesis bundles nothing, but each app takes seconds.
      {
        extends: true,
        test: {
          name: 'aws-rules',
          include: ['test/aws-rules/**/*.test.ts'],
          env: { POWERTOOLS_METRICS_DISABLED: 'true' },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      // Bad input (fast-check over real HTTP: a clear 4xx, never a 5xx) and security checks (API key, logs, IAM).
      {
        extends: true,
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
