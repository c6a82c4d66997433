/**
 * The most routes one deployment holds within AWS's quotas, for every shape of route (ordered,
 * circuit breaker, signed, secret headers, every option mixed in) at the longest names the routes
 * schema allows. `npm run test:aws-rules` synthesizes a routes file of this many routes and holds
 * every template of the cloud assembly to CloudFormation's, Lambda's, IAM's and SQS's quotas; raise
 * it only with a layout that passes them. The routes live in nested stacks (route-groups.ts), so no
 * stack's 500 resources bind; what binds at 200 is the 2,500 resources one CloudFormation operation
 * may touch across a stack and its nested stacks (about 11 a route with the default alarms and a
 * continuing-delivery schedule: docs/scaling.md).
 */
export const MAX_ROUTES_PER_STACK = 200;
