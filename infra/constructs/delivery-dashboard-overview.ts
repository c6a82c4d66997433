import type { Duration } from 'aws-cdk-lib';
import { GraphWidget, type IWidget, MathExpression, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import {
  METRIC,
  METRICS_NAMESPACE,
  type MetricName,
  ROUTE_DIMENSION,
  SERVICE_DIMENSION,
} from '../../shared/metrics.js';

/** Every route at once, found by the names they share: sums, and the worst route. */
export function overviewWidgets(prefix: string, period: Duration): IWidget[] {
  const seconds = period.toSeconds();
  const expression = (text: string, label: string) =>
    new MathExpression({ expression: text, label, usingMetrics: {}, period });
  const custom = (metric: MetricName) =>
    `SUM(SEARCH('{${METRICS_NAMESPACE},${ROUTE_DIMENSION},${SERVICE_DIMENSION}} MetricName="${metric}"', 'Sum', ${seconds}))`;
  // Unquoted, a property's value matches partially (CloudWatch's search expression syntax).
  const sqs = (metric: string, kind: 'q' | 'dlq') =>
    `SEARCH('{AWS/SQS,QueueName} MetricName="${metric}" QueueName=${prefix}_${kind}_', 'Maximum', ${seconds})`;
  const lambda = (metric: string) =>
    `SUM(SEARCH('{AWS/Lambda,FunctionName} MetricName="${metric}" FunctionName=${prefix}_fwd_', 'Sum', ${seconds}))`;
  return [
    new TextWidget({ markdown: '## All routes', width: 24, height: 1 }),
    new GraphWidget({
      title: 'All routes: accepted, delivered, dead-lettered',
      left: [
        expression(custom(METRIC.ACCEPTED_TO_QUEUE), 'accepted → queue'),
        expression(custom(METRIC.DELIVERED), 'delivered'),
      ],
      right: [
        expression(custom(METRIC.ATTEMPTS_FAILED), 'attempts failed'),
        expression(custom(METRIC.DEAD_LETTERED), 'dead-lettered'),
      ],
      width: 12,
    }),
    new GraphWidget({
      title: 'Worst route: dead letters, oldest waiting message (s)',
      left: [
        expression(
          `MAX(${sqs('ApproximateNumberOfMessagesVisible', 'dlq')})`,
          'most dead letters of a route',
        ),
      ],
      right: [expression(`MAX(${sqs('ApproximateAgeOfOldestMessage', 'q')})`, 'oldest waiting message (s)')],
      width: 12,
    }),
    new GraphWidget({
      title: 'Routes with dead letters (one line a route)',
      left: [expression(sqs('ApproximateNumberOfMessagesVisible', 'dlq'), '')],
      width: 12,
    }),
    new GraphWidget({
      title: 'Forwarders: errors and throttles, all routes',
      left: [expression(lambda('Errors'), 'errors'), expression(lambda('Throttles'), 'throttles')],
      width: 12,
    }),
  ];
}
