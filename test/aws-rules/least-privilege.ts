import type { IamRequest } from './iam-requests.js';
import type { Identity } from './policy-book.js';

/** What the functions' runtime does with the role outside the code's own calls: logs and traces. */
const PLATFORM_ACTIONS = /^(logs|xray):/;

/** An IAM pattern (`*` any run, `?` one character) as a regular expression. */
function pattern(text: string): RegExp {
  const escaped = text
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/**
 * Granted `action on resource` pairs of an identity that no allowed request of the recording used:
 * candidates for removal, or calls the representative flow does not make yet. A report, not a
 * verdict: some grants serve paths no test reaches (a CDK grant's companion actions, say).
 */
export function unusedGrants(identity: Identity, used: readonly IamRequest[]): string[] {
  const unused: string[] = [];
  for (const { policy } of identity.policies) {
    for (const statement of policy.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const actions = [statement.Action].flat().map(String);
      const resources = [statement.Resource].flat().map(String);
      for (const action of actions) {
        if (PLATFORM_ACTIONS.test(action)) continue;
        for (const resource of resources) {
          const matches = used.some(
            (request) => pattern(action).test(request.action) && pattern(resource).test(request.resource),
          );
          if (!matches) unused.push(`${action} on ${resource}`);
        }
      }
    }
  }
  return [...new Set(unused)].sort();
}
