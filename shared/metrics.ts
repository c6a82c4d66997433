import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of the functions' custom metrics (EMF through Powertools). */
export const METRICS_NAMESPACE = 'GuaranteedDelivery';

/** The functions' service names: their logs' `service` field and their metrics' `service` dimension. */
export const SERVICE = { INGEST: 'ingest', FORWARDER: 'forwarder', DRAINER: 'drainer' } as const;

/** One of {@link SERVICE}'s names. */
export type ServiceName = (typeof SERVICE)[keyof typeof SERVICE];

/** Powertools Metrics puts the function's `serviceName` in this dimension of every metric. */
export const SERVICE_DIMENSION = 'service';

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
  /** Forwarder: how long one delivery attempt's backend call took (ms), per attempt. */
  ATTEMPT_DURATION: 'DeliveryAttemptDuration',
  /** Forwarder: a copy of an already delivered id was dropped. */
  DUPLICATES_SUPPRESSED: 'DuplicatesSuppressed',
  /** Forwarder: a copy found another copy of its id holding the delivery lease and was put back untried. */
  COPIES_PUT_BACK: 'CopiesPutBack',
  /** Forwarder: an attempt failed and will be retried after the backoff. */
  ATTEMPTS_FAILED: 'DeliveryAttemptsFailed',
  /** Forwarder: moved to the fail-messages DLQ (non-retryable status or max attempts). */
  DEAD_LETTERED: 'DeadLettered',
  /** Forwarder: 1 when the route's circuit breaker opens and while it stays open (each probe), 0 once closed. */
  BREAKER_OPEN: 'BreakerOpen',
  /** Forwarder: records that came in while the breaker was open and went back to the queue unattempted. */
  HELD_BY_BREAKER: 'HeldByBreaker',
  /** Drainer: failover items moved back to a delivery queue. */
  DRAINED: 'FailoverDrained',
  /** Drainer: items still in the failover table after a run (SQS refused them, or time ran out). */
  FAILOVER_LEFT: 'FailoverLeft',
  /** Drainer: seconds it would take to empty the failover table at the last run's pace (drain-estimate.ts). */
  DRAIN_ESTIMATE: 'FailoverDrainEstimate',
} as const;

/** One of {@link METRIC}'s names. */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Which function emits each custom metric. CloudWatch matches dimensions exactly, so an alarm on a
 * metric must name the same `service` as the function that emits it.
 */
export const METRIC_SERVICE: Readonly<Record<MetricName, ServiceName>> = {
  [METRIC.ACCEPTED_TO_QUEUE]: SERVICE.INGEST,
  [METRIC.ACCEPTED_TO_FAILOVER]: SERVICE.INGEST,
  [METRIC.REJECTED]: SERVICE.INGEST,
  [METRIC.STORES_UNAVAILABLE]: SERVICE.INGEST,
  [METRIC.DELIVERED]: SERVICE.FORWARDER,
  [METRIC.DUPLICATES_SUPPRESSED]: SERVICE.FORWARDER,
  [METRIC.COPIES_PUT_BACK]: SERVICE.FORWARDER,
  [METRIC.ATTEMPT_DURATION]: SERVICE.FORWARDER,
  [METRIC.ATTEMPTS_FAILED]: SERVICE.FORWARDER,
  [METRIC.DEAD_LETTERED]: SERVICE.FORWARDER,
  [METRIC.BREAKER_OPEN]: SERVICE.FORWARDER,
  [METRIC.HELD_BY_BREAKER]: SERVICE.FORWARDER,
  [METRIC.DRAINED]: SERVICE.DRAINER,
  [METRIC.FAILOVER_LEFT]: SERVICE.DRAINER,
  [METRIC.DRAIN_ESTIMATE]: SERVICE.DRAINER,
};

/**
 * Powertools metrics for one function. Set POWERTOOLS_METRICS_DISABLED=true to silence them
 * (the tests and the local runner do: there is no CloudWatch to read the EMF lines there).
 */
export function createMetrics(serviceName: ServiceName): Metrics {
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
