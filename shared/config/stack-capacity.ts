/**
 * The most routes one deployment holds within AWS's quotas, for every shape of route (ordered,
 * circuit breaker, signed, secret headers) at the longest names the routes schema allows.
 * `npm run test:aws-rules` synthesizes a routes file of this many routes and holds every template
 * of the cloud assembly to CloudFormation's, Lambda's, IAM's and SQS's quotas; raise it only with a
 * stack layout that passes them. No function's environment grows with the routes any more (each
 * reads one document; the functions serving every route derive queue names and read a route table
 * from their asset). What binds today: the operator's managed policy (6,144 characters), which still
 * lists each route's event source mapping and continuing-delivery state machine (about 250
 * characters a route: 6,674 at 20 routes), then the single stack's 500 resources (about 22 per
 * route of these shapes: 488 at 20 routes, over 500 at 21).
 */
export const MAX_ROUTES_PER_STACK = 17;
