import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../shared/errors.js';
import {
  decodeSecret,
  GENERATED_SECRET_BYTES,
  generateSecret,
  SECRET_PREFIX,
  signPayload,
  WEBHOOK_HEADER,
  webhookHeaders,
} from '../../shared/signing/webhook-signature.js';

/** The known-answer vectors of the Standard Webhooks libraries. */
const VECTORS = [
  {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  {
    secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
    id: 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk',
    timestamp: 1649367553,
    body: '{"email":"test@example.com","username":"test_user"}',
    signature: 'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=',
  },
] as const;

describe('signPayload', () => {
  it.each(VECTORS)('matches the known answer for $id', ({ secret, id, timestamp, body, signature }) => {
    // Act
    const signed = signPayload(secret, id, timestamp, body);

    // Assess
    expect(signed).toBe(signature);
  });

  it('signs the UTF-8 bytes of a body with non-ASCII characters as the reference verifier reads them', () => {
    // Prepare
    const secret = generateSecret();
    const body = '{"name":"Zoë","city":"Malmö ✓"}';
    const now = Math.floor(Date.now() / 1000);

    // Act
    const headers = webhookHeaders([secret], 'msg_1', now, body);

    // Assess
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });
});

describe('webhookHeaders', () => {
  it('carries one space-separated signature per secret, each verifying on its own', () => {
    // Prepare
    const [current, previous] = [generateSecret(), generateSecret()];
    const now = Math.floor(Date.now() / 1000);
    const body = '{"a":1}';

    // Act
    const headers = webhookHeaders([current, previous], 'msg_2', now, body);

    // Assess
    expect(headers[WEBHOOK_HEADER.ID]).toBe('msg_2');
    expect(headers[WEBHOOK_HEADER.TIMESTAMP]).toBe(String(now));
    expect(headers[WEBHOOK_HEADER.SIGNATURE]?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it('fails without a secret rather than sending an unsigned delivery', () => {
    expect(() => webhookHeaders([], 'msg_3', 1, '{}')).toThrow(ConfigurationError);
  });
});

describe('secrets', () => {
  it('generates whsec_ secrets of 32 random bytes, different each time', () => {
    // Act
    const [a, b] = [generateSecret(), generateSecret()];

    // Assess
    expect(a.startsWith(SECRET_PREFIX)).toBe(true);
    expect(decodeSecret(a)).toHaveLength(GENERATED_SECRET_BYTES);
    expect(a).not.toBe(b);
  });

  it.each([
    ['without the prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', /must start with 'whsec_'/],
    ['too short', 'whsec_c2hvcnQ=', /24-64 random bytes \(got 5 bytes\)/],
    ['not base64', 'whsec_!!!!MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', /not valid base64/],
  ])('fails for a secret %s, without echoing it', (_label, secret, message) => {
    // Act
    const error = (() => {
      try {
        decodeSecret(secret);
      } catch (caught) {
        return caught as Error;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(secret.slice(6));
  });
});
