import { describe, expect, it } from 'vitest';
import { checkRequest, type GuardedRequest } from '../../cli/console/request-guard.js';

const identity = { token: 'Tok3n_secret-value', port: 8292 };

/** A request as the console's own page in a browser sends it. */
function request(
  changes: Partial<GuardedRequest> & { headers?: Record<string, string> } = {},
): GuardedRequest {
  return {
    method: 'GET',
    url: `/${identity.token}/routes?x=1`,
    ...changes,
    headers: { host: '127.0.0.1:8292', 'sec-fetch-site': 'same-origin', ...changes.headers },
  };
}

describe('console request guard', () => {
  it("lets in the console's own requests, with the path after the token", () => {
    // Act
    const verdicts = [
      checkRequest(request(), identity),
      checkRequest(request({ url: `/${identity.token}/` }), identity),
      checkRequest(request({ headers: { host: 'localhost:8292', 'sec-fetch-site': 'none' } }), identity),
      checkRequest(
        request({
          method: 'POST',
          url: `/${identity.token}/actions`,
          headers: { origin: 'http://127.0.0.1:8292' },
        }),
        identity,
      ),
    ];

    // Assess
    expect(verdicts.map((verdict) => verdict.allowed && verdict.path)).toEqual([
      'routes',
      '',
      'routes',
      'actions',
    ]);
    const [first] = verdicts;
    expect(first?.allowed && first.query.get('x')).toBe('1');
  });

  it('rejects requests without the token, or with a wrong one', () => {
    // Act
    const verdicts = [
      request({ url: '/' }),
      request({ url: '/routes' }),
      request({ url: '/favicon.ico' }),
      request({ url: `/${identity.token.slice(0, -1)}/routes` }),
      request({ url: `/${identity.token}x/routes` }),
      request({ url: `/x/${identity.token}/routes` }),
      request({ url: `/routes?token=${identity.token}` }),
    ].map((each) => checkRequest(each, identity));

    // Assess
    for (const verdict of verdicts) expect(verdict).toMatchObject({ allowed: false, status: 403 });
  });

  it('rejects a foreign Host (DNS rebinding), even with the token', () => {
    // Act
    const verdicts = ['attacker.example:8292', '127.0.0.1:9999', '127.0.0.1', '', '0.0.0.0:8292'].map(
      (host) => checkRequest(request({ headers: { host } }), identity),
    );

    // Assess
    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({ allowed: false, status: 403, reason: expect.stringMatching(/Host/) });
    }
  });

  it('rejects cross-site requests (CSRF), even with the token', () => {
    // Act
    const verdicts = [
      request({ method: 'POST', headers: { origin: 'http://attacker.example' } }),
      request({ method: 'POST', headers: { origin: 'null' } }),
      request({ method: 'POST', headers: { origin: 'http://127.0.0.1:9999' } }),
      request({ method: 'POST', headers: { origin: 'https://127.0.0.1:8292' } }),
      request({ headers: { origin: 'http://attacker.example' } }),
      request({ headers: { 'sec-fetch-site': 'cross-site' } }),
      request({ headers: { 'sec-fetch-site': 'same-site' } }),
      // Browsers send Origin with every POST: one without is not the console's form.
      request({ method: 'POST' }),
    ].map((each) => checkRequest(each, identity));

    // Assess
    for (const verdict of verdicts) expect(verdict).toMatchObject({ allowed: false, status: 403 });
  });

  it('rejects methods other than GET, HEAD and POST', () => {
    // Act
    const verdicts = ['PUT', 'DELETE', 'OPTIONS', 'TRACE'].map((method) =>
      checkRequest(request({ method }), identity),
    );

    // Assess
    for (const verdict of verdicts) expect(verdict).toMatchObject({ allowed: false, status: 405 });
  });
});
