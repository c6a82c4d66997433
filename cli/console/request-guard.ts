import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which requests the console answers. It listens on 127.0.0.1 only, but any web page the operator's
 * browser opens can still make the browser send requests there, and a DNS name an attacker controls
 * can be made to resolve to 127.0.0.1 (DNS rebinding). So every request, page, asset or action,
 * must carry the per-run token as the first segment of its path, name the console itself as `Host`,
 * and come from the console's own pages (`Origin`, `Sec-Fetch-Site`); a request that changes
 * something (POST) must say where it comes from.
 */

/** What the guard knows of this console run. */
export interface ConsoleIdentity {
  /** The per-run secret in every URL's path. */
  readonly token: string;
  /** The port the console listens on (127.0.0.1). */
  readonly port: number;
}

/** The parts of a request the guard looks at. */
export interface GuardedRequest {
  readonly method: string;
  /** The request target as sent (`/<token>/routes?x=1`). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Let in, with the path after the token, or refused with the reason (for the console's own log: it
 * holds no header value, since those come from whoever sent the request).
 */
export type GuardVerdict =
  | { readonly allowed: true; readonly path: string; readonly query: URLSearchParams }
  | { readonly allowed: false; readonly status: 403 | 405; readonly reason: string };

/** Methods the console answers: pages and fragments are GET, actions POST. */
const METHODS = new Set(['GET', 'HEAD', 'POST']);

/** `Sec-Fetch-Site` values of the console's own requests: its pages' (`same-origin`), or typed in (`none`). */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/** The names the console answers to: what its printed URL says, and `localhost`. */
export function consoleHosts(port: number): readonly string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Compared in constant time, so response times tell nothing about how much of a guess was right. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks a request against this run's identity; only an allowed request reaches a page. */
export function checkRequest(request: GuardedRequest, identity: ConsoleIdentity): GuardVerdict {
  const refuse = (reason: string, status: 403 | 405 = 403): GuardVerdict => ({
    allowed: false,
    status,
    reason,
  });
  const hosts = consoleHosts(identity.port);
  const host = (request.headers.host ?? '').toLowerCase();
  if (!hosts.includes(host)) return refuse('foreign Host header (DNS rebinding?)');
  if (!METHODS.has(request.method)) return refuse(`method ${request.method} not allowed`, 405);

  let url: URL;
  try {
    url = new URL(request.url, `http://${host}`);
  } catch {
    return refuse('unreadable request target');
  }
  const [, first = '', ...rest] = url.pathname.split('/');
  if (!sameSecret(first, identity.token)) return refuse('no valid token in the path');

  const origin = request.headers.origin;
  if (origin !== undefined && !hosts.some((name) => origin === `http://${name}`)) {
    return refuse('foreign Origin (cross-site request)');
  }
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string' && !OWN_FETCH_SITES.has(fetchSite)) {
    return refuse('cross-site request (Sec-Fetch-Site)');
  }
  // Browsers send Origin with every POST; one without is not from the console's own form.
  if (request.method === 'POST' && origin === undefined) return refuse('POST without Origin');
  return { allowed: true, path: rest.join('/'), query: url.searchParams };
}
