#!/usr/bin/env node
// Launcher of the `gd` CLI (package.json "bin"). The CLI is TypeScript run in place by tsx, which
// `npm ci` installs; registering tsx's ESM loader here, rather than a `#!/usr/bin/env -S npx tsx`
// shebang, works without `env -S` and without npx resolving tsx at every call.
import { register } from 'tsx/esm/api';

register();
await import('../cli/gd.ts');
