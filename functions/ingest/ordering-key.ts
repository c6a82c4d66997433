import { describeOrderingRule, type OrderingRule, SQS_GROUP_ID } from '../../shared/ordering.js';

/** The key of one message, or why it has none (the ingest answers 400 with `error` and `details`). */
export type OrderingKeyResult =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly error: string; readonly details: Record<string, unknown> };

/**
 * Resolves an RFC 6901 JSON pointer ("/a/b~1c/0") in a parsed JSON document; undefined when a step
 * is missing. Eight lines do not justify a dependency in the ingest's bundle.
 */
export function resolvePointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let node = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(token)) node = node[Number(token)];
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, token))
      node = (node as Record<string, unknown>)[token];
    else return undefined;
  }
  return node;
}

/**
 * A message's ordering key under `rule`: a header's value, or the string or number at a JSON pointer
 * in the body. It becomes the SQS FIFO MessageGroupId, so it must fit SQS's rule for those.
 */
export function extractOrderingKey(
  rule: OrderingRule,
  headers: Readonly<Record<string, string | undefined>>,
  body: unknown,
): OrderingKeyResult {
  const where = describeOrderingRule(rule);
  let raw: unknown;
  if ('keyHeader' in rule) {
    raw = headers[rule.keyHeader.toLowerCase()];
    if (raw === undefined || raw === '') {
      return {
        ok: false,
        error: `this route delivers in order per key: send the key in the ${rule.keyHeader} header`,
        details: { missing: where },
      };
    }
  } else {
    raw = resolvePointer(body, rule.keyPointer);
    if (raw === undefined || raw === null || raw === '') {
      return {
        ok: false,
        error: `this route delivers in order per key: the body has no key at ${rule.keyPointer}`,
        details: { missing: where },
      };
    }
    if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
    if (typeof raw !== 'string') {
      return {
        ok: false,
        error: `the ordering key at ${rule.keyPointer} must be a string or a number, got ${Array.isArray(raw) ? 'array' : typeof raw}`,
        details: { invalid: where },
      };
    }
  }
  const key = String(raw);
  if (!SQS_GROUP_ID.test(key)) {
    return {
      ok: false,
      error: `the ordering key (${where}) must be 1-128 printable ASCII characters without spaces`,
      details: { invalid: where, length: key.length },
    };
  }
  return { ok: true, key };
}
