/**
 * Public on-demand prices, us-east-1, used by figure 6. Written down here with where each came from;
 * they change, so check them before quoting a bill. Looked up on 2026-11-21 in stored copies of the
 * pages below (no live pricing API was queried).
 *
 * `confirmedBy`: 'aws' when an AWS-authored page in the sources showed the number itself;
 * 'secondary' when only third-party pages (dated as noted) did — the AWS pricing page was found but
 * its stored copy did not include the figure. Treat 'secondary' prices as unconfirmed.
 */
export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  readonly confirmedBy: 'aws' | 'secondary';
  readonly sources: readonly string[];
  readonly note?: string;
}

export const PRICES_AS_OF = '2026-11-21';
export const PRICES_REGION = 'us-east-1';

export const PRICES = {
  apiGatewayRestPerMillion: {
    usd: 3.5,
    per: '1M REST API calls (first 333M/month)',
    confirmedBy: 'aws',
    sources: [
      'https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html (Table 4)',
      'https://aws.amazon.com/api-gateway/pricing/',
    ],
  },
  apiGatewayHttpPerMillion: {
    usd: 1.0,
    per: '1M HTTP API calls (first 300M/month, each 512 KB of a request counted as one call)',
    confirmedBy: 'secondary',
    sources: ['https://aws.amazon.com/api-gateway/pricing/ (stored copy without the figure)'],
    note: 'The published us-east-1 first-tier price, not confirmed from a stored copy here: unconfirmed.',
  },
  dynamoDbProvisionedWcuHour: {
    usd: 0.00065,
    per: 'write capacity unit-hour, provisioned (1 write/s of up to 1 KB for an hour)',
    confirmedBy: 'secondary',
    sources: [
      'https://aws.amazon.com/dynamodb/pricing/provisioned/ (stored copy defines the unit, not the figure)',
    ],
    note: 'The published us-east-1 price, not confirmed from a stored copy here: unconfirmed.',
  },
  dynamoDbProvisionedRcuHour: {
    usd: 0.00013,
    per: 'read capacity unit-hour, provisioned (1 strongly consistent read/s of up to 4 KB for an hour)',
    confirmedBy: 'secondary',
    sources: [
      'https://aws.amazon.com/dynamodb/pricing/provisioned/ (stored copy defines the unit, not the figure)',
    ],
    note: 'The published us-east-1 price, not confirmed from a stored copy here: unconfirmed.',
  },
  lambdaRequestsPerMillion: {
    usd: 0.2,
    per: '1M invocations (x86 and Arm alike)',
    confirmedBy: 'secondary',
    sources: [
      'https://aws.amazon.com/lambda/pricing/ (stored copy without the figure)',
      'https://cloudchipr.com/blog/aws-lambda-pricing (2024, "US East (N. Virginia)")',
    ],
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second on Arm (first 7.5B GB-s/month)',
    confirmedBy: 'secondary',
    sources: [
      'https://aws.amazon.com/lambda/pricing/ (stored copy without the figure)',
      'https://cloudchipr.com/blog/aws-lambda-pricing (2024, "US East (N. Virginia)")',
    ],
    note: 'Duration is billed per 1 ms, rounded up, from handler start to return.',
  },
  sqsStandardPerMillion: {
    usd: 0.4,
    per: '1M standard-queue requests (after 1M free/month, up to 100B/month)',
    confirmedBy: 'secondary',
    sources: [
      'https://cloudburn.io/blog/amazon-sqs-pricing (March 2026, us-east-1)',
      'https://www.factualminds.com/blog/amazon-sqs-pricing-64kb-rule-fifo-vs-standard/ (June 2026)',
    ],
    note: 'Each 64 KB chunk of a request payload is one request; empty receives count too.',
  },
  dynamoDbWriteRequestUnitPerMillion: {
    usd: 0.625,
    per: '1M on-demand write request units (1 KB each)',
    confirmedBy: 'secondary',
    sources: [
      'https://airbyte.com/data-engineering-resources/dynamodb-pricing (July 2025: after the November 2024 50% cut)',
      'https://aws.amazon.com/blogs/aws/amazon-dynamodb-on-demand-no-capacity-planning-and-pay-per-request-pricing (updated 2025-01-31 for the reduced price; stored copy without the figure)',
    ],
  },
  dynamoDbReadRequestUnitPerMillion: {
    usd: 0.125,
    per: '1M on-demand read request units (4 KB strongly consistent, or 2 × 4 KB eventually consistent)',
    confirmedBy: 'secondary',
    sources: ['https://airbyte.com/data-engineering-resources/dynamodb-pricing (July 2025)'],
  },
  eventBridgeCustomEventsPerMillion: {
    usd: 1.0,
    per: '1M custom events published (64 KB chunks)',
    confirmedBy: 'secondary',
    sources: [
      'https://aws.amazon.com/eventbridge/pricing/ (stored copy confirms 64 KB chunk billing, not the figure)',
      'https://www.factualminds.com/blog/amazon-eventbridge-pricing-events-pipes-schema-archive/ (June 2026, us-east-1)',
    ],
  },
  eventBridgeApiDestinationsPerMillion: {
    usd: 0.2,
    per: '1M API destination invocations',
    confirmedBy: 'secondary',
    sources: [
      'https://www.factualminds.com/blog/amazon-eventbridge-pricing-events-pipes-schema-archive/ (June 2026, us-east-1)',
      'https://blog.awsfundamentals.com/aws-eventbridge-pricing-guide',
    ],
    note: 'Retried invocations are invocations too; the endpoint must answer within 5 s.',
  },
  s3PutPerThousand: {
    usd: 0.005,
    per: '1,000 PUT requests, S3 Standard',
    confirmedBy: 'secondary',
    sources: ['https://aws.amazon.com/s3/pricing/ (stored copy without the figure)'],
    note: 'The published us-east-1 price, not confirmed from a stored copy here: unconfirmed.',
  },
  s3GetPerThousand: {
    usd: 0.0004,
    per: '1,000 GET requests, S3 Standard',
    confirmedBy: 'secondary',
    sources: ['https://aws.amazon.com/s3/pricing/ (stored copy without the figure)'],
    note: 'The published us-east-1 price, not confirmed from a stored copy here: unconfirmed.',
  },
  s3StandardGbMonth: {
    usd: 0.023,
    per: 'GB-month of S3 Standard storage (first 50 TB)',
    confirmedBy: 'secondary',
    sources: ['https://aws.amazon.com/s3/pricing/ (stored copy without the figure)'],
    note: 'The published us-east-1 price, not confirmed from a stored copy here: unconfirmed.',
  },
} as const satisfies Record<string, Price>;

/**
 * Memory of each function. infra/constructs/delivery-function.ts sets DEFAULT_MEMORY_MB = 256 and
 * neither the route construct (ingestMemorySize, forwarderMemorySize) nor the stack (drainer)
 * overrides it. Kept here rather than imported so the benchmark does not load aws-cdk-lib.
 */
export const FUNCTION_MEMORY_MB = { ingest: 256, forwarder: 256, drainer: 256 } as const;

/**
 * The steady load the provisioned-capacity lines assume: a constant rate that auto scaling tracks at
 * its 70 % target (the tableBilling default), above the tables' minimum capacity. At such a load a
 * provisioned write costs WCU-hour / 3,600 / 0.7; below the minimum capacity it costs more.
 */
export const STEADY_LOAD = { messagesPerSecond: 100, targetUtilization: 0.7 } as const;
