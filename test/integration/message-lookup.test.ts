import { describe, expect, it } from 'vitest';
import { apiGatewayEvent, lambdaContext } from '../../local/aws-events.js';
import { MESSAGE_ID_PATH_PARAMETER } from '../../shared/config/message-lookup.js';
import { backendPerTest } from '../support/loopback-backend.js';
import { createTestRoute } from '../support/test-route.js';

/**
 * `GET <route path>/{messageId}` through the real ingest handler, with the path parameter as each
 * front door hands it over: a REST API passes the segment as the client sent it (percent-encoded),
 * an HTTP API (payload format 1.0) decodes it first.
 */

const BODY = { passengerId: 'p-1', train: 'IC 1021' };
/** An Idempotency-Key with characters a client must percent-encode in a path segment. */
const ODD_KEY = 'order#7%/a?b';

const server = backendPerTest();

describe('the status lookup of an id that needs percent-encoding', () => {
  it('finds it from a REST API event, which carries the segment percent-encoded', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });
    await route.post(BODY, { 'Idempotency-Key': ODD_KEY });

    // Act
    const found = await route.lookup(encodeURIComponent(ODD_KEY));

    // Assess
    expect(found).toMatchObject({ statusCode: 200, body: { messageId: ODD_KEY, state: 'queued' } });
  });

  it('finds it from an HTTP API event, which carries the segment decoded (never decoded twice)', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });
    const withPercent = 'fifty%25'; // decoded once, it must not become 'fifty%'
    await route.post(BODY, { 'Idempotency-Key': withPercent });
    const event = {
      ...apiGatewayEvent({
        method: 'GET',
        path: `${route.route.path}/${withPercent}`,
        resource: `${route.route.path}/{${MESSAGE_ID_PATH_PARAMETER}}`,
        pathParameters: { [MESSAGE_ID_PATH_PARAMETER]: withPercent },
        headers: {},
        body: null,
      }),
      version: '1.0',
    };

    // Act
    const response = await route.ingest(event, lambdaContext('ingest'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ messageId: withPercent });
  });

  it('rejects malformed percent-encoding from a REST API event with a 400 naming it', async () => {
    // Prepare
    const route = await createTestRoute({ target: server.target });

    // Act
    const answers = await Promise.all(['%ZZ', '%C0%AF', '%ED%A0%80', 'a%2'].map((s) => route.lookup(s)));

    // Assess
    for (const [index, segment] of ['%ZZ', '%C0%AF', '%ED%A0%80', 'a%2'].entries()) {
      expect(answers[index]).toEqual({
        statusCode: 400,
        body: {
          error: `the message id '${segment}' in the path is not valid percent-encoding of UTF-8; encode each reserved character of the id as %XX (encodeURIComponent)`,
          messageId: segment,
        },
      });
    }
  });
});
