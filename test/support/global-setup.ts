import type { TestProject } from 'vitest/node';
import { startMotoServer } from '../../local/moto-server.js';
import { startStrictAwsLayer } from '../../local/strict-aws.js';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

/**
 * Integration tests run against a real AWS API emulator: AWS_ENDPOINT_URL when set (LocalStack,
 * or a moto already running), otherwise a moto server started here for this run and stopped after,
 * behind the strict layer (local/strict-aws.ts) that gives AWS's SQS answers where moto differs.
 */
export default async function setup(project: TestProject) {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const given = process.env.AWS_ENDPOINT_URL;
  if (given) {
    project.provide('awsEndpoint', given);
    return;
  }
  const moto = await startMotoServer();
  const strict = await startStrictAwsLayer(moto.endpoint);
  project.provide('awsEndpoint', strict.endpoint);
  return async () => {
    await strict.stop();
    await moto.stop();
  };
}
