import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of the functions' custom metrics (EMF through Powertools). */
export const METRICS_NAMESPACE = 'GuaranteedDelivery';

/** The dimension every custom metric carries, so dashboards and alarms are per route. */
export const ROUTE_DIMENSION = 'route';

/** Custom metric names, shared by the functions that emit them and the alarms that watch them. */
export const METRIC = {
  /** Ingest: 202, stored in the delivery queue. */
  ACCEPTED_TO_QUEUE: 'AcceptedToQueue',
  /** Ingest: 202, stored in the failover table because the queue write failed. */
  ACCEPTED_TO_FAILOVER: 'AcceptedToFailover',
  /** Ingest: 4xx for bad input. */
  REJECTED: 'Rejected',
  /** Ingest: 503, neither store took the message. */
  STORES_UNAVAILABLE: 'StoresUnavailable',
  /** Forwarder: the backend answered 2xx. */
  DELIVERED: 'Delivered',
  /** Forwarder: a copy of an already delivered id was dropped. */
  DUPLICATES_SUPPRESSED: 'DuplicatesSuppressed',
  /** Forwarder: an attempt failed and will be retried after the backoff. */
  ATTEMPTS_FAILED: 'DeliveryAttemptsFailed',
  /** Forwarder: moved to the fail-messages DLQ (non-retryable status or max attempts). */
  DEAD_LETTERED: 'DeadLettered',
  /** Drainer: failover items moved back to a delivery queue. */
  DRAINED: 'FailoverDrained',
  /** Drainer: items still in the failover table after a run (SQS refused them, or time ran out). */
  FAILOVER_LEFT: 'FailoverLeft',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Powertools metrics for one function. Set POWERTOOLS_METRICS_DISABLED=true to silence them
 * (the tests and the local runner do: there is no CloudWatch to read the EMF lines there).
 */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/** Adds `value` to a per-route count. */
export function countMetric(metrics: Metrics, name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Flushes what an invocation recorded; an invocation that recorded nothing writes nothing. */
export function publishMetrics(metrics: Metrics, route?: string): void {
  if (!metrics.hasStoredMetrics()) return;
  if (route) metrics.addDimension(ROUTE_DIMENSION, route);
  metrics.publishStoredMetrics();
}
