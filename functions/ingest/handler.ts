import { createIngestHandler } from './api-gateway-adapter.js';
import { createIngestDeps, loadIngestConfig } from './ingest-config.js';

// Once per container: a malformed document or route table fails the cold start, not a request.
const routes = createIngestDeps(loadIngestConfig(process.env));

/** API Gateway (REST or HTTP API, proxy integration, every route's paths) → acceptMessage and friends. */
export const handler = createIngestHandler(routes);
