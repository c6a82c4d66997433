import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GuaranteedDeliveryStack } from '../../infra/guaranteed-delivery-stack.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';
import { idOf, resourcesOf, synthStack, userEnv } from './synth.js';

/** The answers API Gateway gives by itself, before the ingest runs, that a client meets in practice. */
const ANSWERED_BY_API_GATEWAY = [
  'DEFAULT_4XX',
  'DEFAULT_5XX',
  'REQUEST_TOO_LARGE',
  'THROTTLED',
  'QUOTA_EXCEEDED',
  'INVALID_API_KEY',
  'MISSING_AUTHENTICATION_TOKEN',
  'ACCESS_DENIED',
  'UNAUTHORIZED',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
];

/**
 * What API Gateway makes of a response template: `$context.error.messageString` is the message
 * already in double quotes, the other variables as they are. Any other `$` is an error here.
 */
function render(template: string, type: string): string {
  const rendered = template
    .replaceAll('$context.error.messageString', JSON.stringify('Request Too Long'))
    .replaceAll('$context.error.responseType', type)
    .replaceAll('$context.requestId', 'c0ffee00-1111-2222-3333-444455556666');
  expect(rendered).not.toContain('$');
  return rendered;
}

describe("API Gateway's own answers (REST front door)", () => {
  let stack: GuaranteedDeliveryStack;
  let template: Template;

  beforeAll(() => {
    ({ stack, template } = synthStack({ config: loadDeliveryConfig(userEnv(), undefined) }));
  });

  it('answers every gateway response in the contract\'s JSON, {"error": "..."}', () => {
    // Act
    const responses = Object.values(resourcesOf(template, 'AWS::ApiGateway::GatewayResponse'));
    const byType = new Map(
      responses.map((response) => [response.Properties.ResponseType as string, response]),
    );

    // Assess: each type on this API, with a JSON body whose `error` is a non-empty string
    expect([...byType.keys()].sort()).toEqual(expect.arrayContaining([...ANSWERED_BY_API_GATEWAY].sort()));
    for (const type of ANSWERED_BY_API_GATEWAY) {
      const response = byType.get(type);
      expect(response?.Properties.RestApiId).toEqual({ Ref: idOf(stack.api.restApi as never) });
      const body = JSON.parse(
        render(
          (response?.Properties.ResponseTemplates as Record<string, string> | undefined)?.[
            'application/json'
          ] ?? '',
          type,
        ),
      ) as Record<string, unknown>;
      expect(typeof body.error).toBe('string');
      expect(body.error).not.toBe('');
      expect(body).not.toHaveProperty('message');
    }
  });

  it('keeps the status of each type and tells a throttled client when to retry', () => {
    // Act
    const responses = Object.values(resourcesOf(template, 'AWS::ApiGateway::GatewayResponse'));

    // Assess: API Gateway's own status codes stay (413 too large, 429 throttled, 403 bad key, ...)
    for (const response of responses) expect(response.Properties.StatusCode).toBeUndefined();
    const throttled = responses.find((response) => response.Properties.ResponseType === 'THROTTLED');
    expect(throttled?.Properties.ResponseParameters).toEqual({
      'gatewayresponse.header.Retry-After': "'1'",
    });
  });
});
