import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type ForwarderDeps, forwardRecord } from './forward-record.js';

/**
 * SQS event → {@link forwardRecord} per record, in parallel, answering with the failed records only
 * (ReportBatchItemFailures) so delivered ones are deleted and failed ones come back after their backoff.
 */
export function createForwarderHandler(deps: ForwarderDeps, idempotencyConfig: IdempotencyConfig) {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    // Bounds each INPROGRESS idempotency record by this invocation's remaining time.
    idempotencyConfig.registerLambdaContext(context);
    return processPartialResponse(event, (record: SQSRecord) => forwardRecord(record, deps), processor, {
      context,
      // A batch that failed whole (backend down) is routine here, not a function error: report it
      // as item failures so each record keeps the backoff it was given.
      throwOnFullBatchFailure: false,
    });
  };
}
