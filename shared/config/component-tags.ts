/**
 * Tags that say which part of the service a deployed function or state machine is, and for which
 * route: the stack writes them, and the IAM checks of `npm run test:aws-rules` read them back from
 * the template to find the role whose policies decide a recorded call (shared/aws/call-recorder.ts
 * names its principal with the same values). In the console they group costs and resources by route.
 */

/** The component a resource belongs to: one of {@link COMPONENT}. */
export const COMPONENT_TAG = 'gd:component';
/** The route a resource serves; absent on what serves every route (drainer, archiver). */
export const ROUTE_TAG = 'gd:route';

/** Values of {@link COMPONENT_TAG}, and the principals of recorded calls. */
export const COMPONENT = {
  INGEST: 'ingest',
  FORWARDER: 'forwarder',
  DRAINER: 'drainer',
  ARCHIVER: 'archiver',
  CONTINUING_DELIVERY: 'continuing-delivery',
  /** The operator's CLI: its calls are checked against the stack's operator policies. */
  OPERATOR: 'gd',
} as const;
