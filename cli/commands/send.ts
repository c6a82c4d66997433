import { readFile } from 'node:fs/promises';
import { describeError } from '../../shared/errors.js';
import { REFERENCE_CATERING_REGISTRATION } from '../../shared/schemas/body-schemas.js';
import { OperationFailedError, UsageError } from '../errors.js';
import { type Output, printJson } from '../output.js';
import { findRoute, type RouteTarget, type StackTarget } from '../stack/stack-target.js';

/** `gd send`'s options. */
export interface SendOptions {
  readonly json: boolean;
  readonly route?: string;
  /** JSON text of the body. */
  readonly body?: string;
  /** File holding the JSON body. */
  readonly file?: string;
  readonly idempotencyKey?: string;
}

const SEND_TIMEOUT_MS = 15_000;

async function bodyText(options: SendOptions): Promise<string> {
  if (options.body !== undefined && options.file !== undefined) {
    throw new UsageError('give either --body or --file, not both');
  }
  let text: string;
  let source: string;
  if (options.file !== undefined) {
    source = `--file ${options.file}`;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${options.file}: ${describeError(error)}`, { cause: error });
    }
  } else if (options.body !== undefined) {
    source = '--body';
    text = options.body;
  } else {
    return JSON.stringify(REFERENCE_CATERING_REGISTRATION);
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return text;
}

function pickRoute(stack: StackTarget, name: string | undefined): RouteTarget {
  if (name !== undefined) return findRoute(stack, name);
  const [only, ...others] = stack.routes;
  if (!only || others.length > 0) {
    throw new UsageError(`send needs --route NAME (one of: ${stack.routes.map((r) => r.name).join(', ')})`);
  }
  return only;
}

/** `gd send`: POSTs a test message to a route's API path, as a client would, and prints the answer. */
export async function sendCommand(stack: StackTarget, options: SendOptions, output: Output): Promise<number> {
  const route = pickRoute(stack, options.route);
  const body = await bodyText(options);
  const api = await stack.api();
  const url = `${api.baseUrl.replace(/\/+$/, '')}${route.path}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  if (api.apiKey !== undefined) headers['x-api-key'] = api.apiKey;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OperationFailedError(
      `could not reach the API at ${url}: ${describeError(error)}` +
        (stack.kind === 'local' ? '; is the local stack running (`npm start`)?' : ''),
      { cause: error },
    );
  }
  const text = await response.text();
  let answer: unknown = text;
  try {
    answer = JSON.parse(text);
  } catch {
    // Not JSON (a gateway's HTML error page, say): show it as it came.
  }
  if (options.json) {
    printJson(output, { route: route.name, url, status: response.status, body: answer });
  } else {
    output.out(`POST ${url} → ${response.status}`);
    output.out(typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2));
  }
  return response.ok ? 0 : 1;
}
