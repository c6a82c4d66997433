import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ConfigurationError } from '../../shared/errors.js';
import { createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import { hasBreaker } from './circuit-breaker.js';
import type { ForwarderDeps } from './forwarder-deps.js';
import { type ProbeReport, probeBreaker } from './probe-breaker.js';

/**
 * The probe schedule's invocation → {@link probeBreaker}, publishing `BreakerOpen` (1 open, 0 closed)
 * on every tick, so the route's breaker alarm goes to ALARM when it opens and back to OK when it
 * closes.
 */
export function createProbeHandler(
  deps: ForwarderDeps,
  metrics: Metrics = createMetrics(SERVICE.FORWARDER),
): () => Promise<ProbeReport> {
  return async () => {
    if (!hasBreaker(deps)) {
      throw new ConfigurationError(`route ${deps.settings.route} has no circuit breaker to probe`);
    }
    const report = await probeBreaker(deps, deps.breaker.source);
    metrics.addMetric(METRIC.BREAKER_OPEN, MetricUnit.Count, report.state === 'closed' ? 0 : 1);
    publishMetrics(metrics, deps.settings.route);
    return report;
  };
}
