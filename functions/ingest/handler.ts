import { createIngestHandler } from './api-gateway-adapter.js';
import { createIngestDeps, loadIngestConfig } from './ingest-config.js';

// Once per container: a missing variable fails the cold start, not a request.
const deps = createIngestDeps(loadIngestConfig(process.env));

/** API Gateway (REST, proxy integration) → acceptMessage. */
export const handler = createIngestHandler(deps);
