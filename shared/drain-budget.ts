import { MAX_LAMBDA_TIMEOUT_SECONDS } from './aws-limits.js';

/** The drainer's time budget per run unless the stack (or `gd drain` locally) says otherwise. */
export const DEFAULT_DRAIN_TIME_BUDGET_SECONDS = 50;

/**
 * Ceiling of the drainer's time budget: Lambda's longest timeout less a minute for the last batch,
 * the deletes and the lease release. The stack validates against it and the drainer's config too.
 */
export const MAX_DRAIN_TIME_BUDGET_SECONDS = MAX_LAMBDA_TIMEOUT_SECONDS - 60;

/**
 * SendMessageBatch calls one drainer run keeps in flight unless the stack says otherwise: enough to
 * hide a call's round trip behind the others' (about 8 × 10 messages per round trip), few enough
 * for a 256 MB function holding each shard's current and next index page.
 */
export const DEFAULT_DRAIN_CONCURRENCY = 8;

/** Ceiling of the drainer's concurrency: the stack and the drainer's config validate against it. */
export const MAX_DRAIN_CONCURRENCY = 32;
