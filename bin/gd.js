#!/usr/bin/env node
// Launcher of the `gd` CLI (package.json "bin"). The CLI is TypeScript run in place by tsx, a runtime
// dependency for that reason (an install without dev dependencies still runs gd); registering tsx's ESM loader here, rather than a `#!/usr/bin/env -S npx tsx`
// shebang, works without `env -S` and without npx resolving tsx at every call.
import { register } from 'tsx/esm/api';

register();
await import('../cli/gd.ts');
