import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installCallRecorder, type RecordedCall } from '../../shared/aws/call-recorder.js';
import { routeTableOf } from '../../shared/config/route-document.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { LoopbackBackend } from '../support/loopback-backend.js';
import { type SynthesizedAssembly, synthesizeRoutesFile } from './cloud-assembly.js';
import { DeploymentNames, EMULATOR_TARGET } from './deployment-names.js';
import { deployToEmulator, type EmulatedDeployment } from './emulated-deployment.js';
import { type CallEvaluation, evaluateCalls } from './iam-evaluation.js';
import { unusedGrants } from './least-privilege.js';
import { PolicyBook } from './policy-book.js';
import { type FlowRoute, runRepresentativeFlow } from './representative-flow.js';
import { ROUTE_SHAPES, routeOfShape } from './routes-documents.js';
import { evaluateServiceInvocations } from './service-invocations.js';

/**
 * Every AWS call the functions and gd make, recorded while a representative flow runs against a
 * deployment of the synthesized template into the emulator, evaluated with IAM's logic against the
 * policies that template gives the principal's role (and the resource's policy where one decides).
 */
describe('every AWS call is authorized by the role that makes it', () => {
  const endpoint = inject('awsEndpoint');
  const backend = new LoopbackBackend();
  const calls: RecordedCall[] = [];
  const steps: string[] = [];
  const assemblies: SynthesizedAssembly[] = [];
  let deployment: EmulatedDeployment;
  let routes: FlowRoute[];
  let evaluation: CallEvaluation;
  const savedEndpoint = process.env.AWS_ENDPOINT_URL;

  beforeAll(async () => {
    // Prepare: a routes file with one route of every shape, all delivering to a loopback backend.
    // Clients built without an endpoint (the breaker's Lambda client) must reach the emulator too.
    process.env.AWS_ENDPOINT_URL = endpoint;
    const target = await backend.start();
    const document = {
      // Retries a second apart, so a retried message comes back within the flow.
      routes: ROUTE_SHAPES.map(
        (shape, index): Record<string, unknown> => ({
          ...routeOfShape(shape, index),
          target,
          maxAttempts: 3,
          retry: { baseSeconds: 1, maxSeconds: 1 },
        }),
      ),
    };
    routes = document.routes.map((route, index) => ({
      name: String(route.name),
      path: String(route.path),
      shape: ROUTE_SHAPES[index] as FlowRoute['shape'],
    }));
    const assembly = synthesizeRoutesFile(document, {
      ALARM_EMAIL: 'ops@example.com',
      STACK_NAME: `GdRules${randomUUID().slice(0, 6)}`,
    });
    assemblies.push(assembly);
    deployment = await deployToEmulator(new DeploymentNames(assembly.templates, EMULATOR_TARGET), endpoint);

    // Act: the flow, every call recorded with its principal.
    installCallRecorder((call) => calls.push(call));
    try {
      await runRepresentativeFlow({
        deployment,
        endpoint,
        backend,
        routes,
        routeTable: routeTableOf(
          loadDeliveryConfig({ DELIVERY_CONFIG: join(assembly.outdir, 'routes.json') }).routes,
        ),
        onStep: (line) => steps.push(line),
      });
    } finally {
      installCallRecorder(undefined);
    }
    evaluation = await evaluateCalls(calls, new PolicyBook(deployment.names), deployment);
    console.log(steps.join('\n'));
  });

  afterAll(async () => {
    installCallRecorder(undefined);
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = savedEndpoint;
    for (const assembly of assemblies) assembly.dispose();
    await backend.stop();
  });

  it('records calls of every function and of gd', () => {
    // Assess
    const components = new Set(calls.map((call) => call.principal.component));
    expect([...components].sort()).toEqual(['archiver', 'drainer', 'forwarder', 'gd', 'ingest']);
    expect(evaluation.evaluated).toBeGreaterThan(50);
  });

  it('finds no call the policies deny', () => {
    // Assess: one line per denied request, naming who, what and on which resource.
    const denied = evaluation.denials.map(
      (denial) =>
        `${denial.principal}: ${denial.action} on ${denial.resource} (${denial.call}): ${denial.result}`,
    );
    expect(denied).toEqual([]);
  });

  it('reports the granted actions no recorded call used (least privilege)', () => {
    // Act: every tagged role and the operator's policies, against what the flow used.
    const book = new PolicyBook(deployment.names);
    const principals = [...book.tagged().map((entry) => entry.principal), { component: 'gd' }];
    const report = principals.flatMap((principal) => {
      const identity = book.identityOf(principal);
      return unusedGrants(identity, evaluation.allowed.get(identity.label) ?? []).map(
        (grant) => `${identity.label}: ${grant}`,
      );
    });
    console.log(
      `least privilege: ${report.length} granted action(s) no recorded call used\n${report.join('\n')}`,
    );

    // Assess: the report covers every role; a grant in it is a question for a reviewer, not a failure.
    expect(principals.length).toBeGreaterThan(10);
  });

  it("finds no call a service makes on the stack's behalf that the policies deny (alarms, schedules, event source mappings)", async () => {
    // Act
    const { denials, evaluated } = await evaluateServiceInvocations(new PolicyBook(deployment.names));

    // Assess
    expect(evaluated).toBeGreaterThan(10);
    expect(
      denials.map(
        (denial) => `${denial.principal}: ${denial.action} on ${denial.resource}: ${denial.result}`,
      ),
    ).toEqual([]);
  });
});
