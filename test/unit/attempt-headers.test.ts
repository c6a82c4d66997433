import { describe, expect, it } from 'vitest';
import { attemptHeaders } from '../../functions/forwarder/attempt-headers.js';
import { anEnvelope } from '../support/factories.js';

describe('attemptHeaders with a route’s static headers', () => {
  it('adds them to every attempt, without letting them replace or join the protocol’s own', async () => {
    // Prepare
    const envelope = anEnvelope({ id: 'id-7' });
    const staticHeaders = { Authorization: 'Bearer s3cr3t', 'X-Message-Id': 'forged', 'X-Tenant': 'acme' };

    // Act
    const headers = await attemptHeaders(envelope, 2, new Date(), undefined, staticHeaders);

    // Assess
    expect(headers).toMatchObject({
      Authorization: 'Bearer s3cr3t',
      'X-Tenant': 'acme',
      'x-message-id': 'id-7',
      'x-delivery-attempt': '2',
    });
    expect(headers).not.toHaveProperty('X-Message-Id');
  });

  it('leaves the headers as they were without static ones', async () => {
    // Act
    const headers = await attemptHeaders(anEnvelope({ id: 'id-8' }), 1, new Date(), undefined);

    // Assess
    expect(Object.keys(headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(headers['idempotency-key']).toBe('id-8');
  });
});
