import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_BACKEND_PORT } from '../../local/local-stack-contract.js';
import { loadDeliveryConfig } from '../../shared/config/routes.js';

const EXAMPLES = new URL('../../examples/', import.meta.url);
const files = readdirSync(EXAMPLES).filter((name) => name.endsWith('.json'));

describe('examples/ routes files', () => {
  it('has two or more examples', () => {
    // Assess
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('%s loads, and every route targets the demo backend `npm start` runs', (name) => {
    // Act
    const config = loadDeliveryConfig({ DELIVERY_CONFIG: new URL(name, EXAMPLES).pathname });

    // Assess
    expect(config.routes.length).toBeGreaterThanOrEqual(2);
    for (const route of config.routes) {
      expect(new URL(route.target).host).toBe(`127.0.0.1:${DEFAULT_DEMO_BACKEND_PORT}`);
    }
  });
});
