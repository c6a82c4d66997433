import type { Context, ScheduledEvent } from 'aws-lambda';
import { archiveExpiring } from './archive-expiring.js';
import { createArchiverDeps, loadArchiverConfig } from './archiver-config.js';

/** Time kept back from the Lambda timeout to finish the batch in hand and release the rest. */
const SAFETY_MARGIN_MS = 15_000;

// Once per container: a missing variable fails the cold start, not a run.
const config = loadArchiverConfig(process.env);
const deps = createArchiverDeps(config);

/** EventBridge schedule → archiveExpiring: queued messages and dead letters nearing retention → S3. */
export const handler = async (_event: ScheduledEvent, context: Context) => {
  deps.logger.addContext(context);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS;
  const reports = await archiveExpiring(deps, config.targets, deadline);
  deps.logger.info('archive run done', { reports });
  return reports;
};
