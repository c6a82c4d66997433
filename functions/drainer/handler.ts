import { createDrainerDeps, loadDrainerConfig } from './drainer-config.js';
import { createDrainerHandler } from './schedule-adapter.js';

// Once per container: a missing variable fails the cold start, not a drain.
const config = loadDrainerConfig(process.env);

/** EventBridge schedule → drainFailover: failover table → delivery queues. */
export const handler = createDrainerHandler(createDrainerDeps(config), config);
