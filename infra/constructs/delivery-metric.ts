import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { ConfigurationError } from '../../shared/errors.js';
import {
  METRIC,
  METRIC_SERVICE,
  METRICS_NAMESPACE,
  type MetricName,
  ROUTE_DIMENSION,
  SERVICE_DIMENSION,
} from '../../shared/metrics.js';

/** The drainer publishes without a route: its metrics are stack-wide. */
const STACK_WIDE_METRICS: ReadonlySet<MetricName> = new Set([
  METRIC.DRAINED,
  METRIC.FAILOVER_LEFT,
  METRIC.DRAIN_ESTIMATE,
]);

/**
 * A custom metric of the functions with exactly the dimensions they emit: `service` always, `route`
 * for per-route metrics (all but the drainer's).
 */
export function deliveryMetric(name: MetricName, route?: string, options: MetricOptions = {}): Metric {
  const stackWide = STACK_WIDE_METRICS.has(name);
  if (stackWide && route !== undefined) {
    throw new ConfigurationError(`Metric ${name} is emitted without a route; got route '${route}'`);
  }
  if (!stackWide && route === undefined) {
    throw new ConfigurationError(`Metric ${name} is emitted per route; pass the route name`);
  }
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    statistic: 'Sum',
    period: Duration.minutes(5),
    ...options,
    dimensionsMap: {
      [SERVICE_DIMENSION]: METRIC_SERVICE[name],
      ...(route === undefined ? {} : { [ROUTE_DIMENSION]: route }),
      ...options.dimensionsMap,
    },
  });
}
