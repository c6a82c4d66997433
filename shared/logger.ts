import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs (Powertools). Level from POWERTOOLS_LOG_LEVEL / AWS_LAMBDA_LOG_LEVEL.
 * Functions log ids, routes, stores and statuses: never bodies unless LOG_PAYLOADS=true.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}
