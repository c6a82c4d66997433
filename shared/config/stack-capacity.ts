/**
 * The most routes one deployment holds within AWS's quotas, for every shape of route (ordered,
 * circuit breaker, signed, secret headers) at the longest names the routes schema allows.
 * `npm run test:aws-rules` synthesizes a routes file of this many routes and holds every template
 * of the cloud assembly to CloudFormation's, Lambda's, IAM's and SQS's quotas; raise it only with a
 * stack layout that passes them. Today the archiver's environment (two queue URLs per route) passes
 * Lambda's 4 KB at 8 such routes, and the single stack passes CloudFormation's 500 resources at 13.
 */
export const MAX_ROUTES_PER_STACK = 7;
