/**
 * Deployment-wide choices of the routes file that shape the stack rather than a route: which API
 * Gateway flavour clients reach (the front door) and how the DynamoDB tables are billed. Plain
 * types and defaults, no zod, so that infra and docs can import them without the schema.
 */

/** API Gateway REST API: API keys and usage plans (per-client throttling and quotas), $3.50 per million. */
export const FRONT_DOOR_REST = 'rest';
/** API Gateway HTTP API: IAM (SigV4) or JWT authorization, $1.00 per million, no API keys or usage plans. */
export const FRONT_DOOR_HTTP_API = 'http-api';

/** How clients of an HTTP API front door authenticate. */
export type HttpApiAuthorization =
  /** AWS SigV4-signed requests; grant `execute-api:Invoke` on the API to the callers' roles. */
  | { readonly type: 'iam' }
  /** A bearer JWT from an OIDC issuer (Cognito, Auth0, ...), checked by API Gateway before the ingest runs. */
  | { readonly type: 'jwt'; readonly issuer: string; readonly audience: readonly string[] };

/** The front door of the deployment. */
export type FrontDoorConfig =
  | { readonly type: typeof FRONT_DOOR_REST }
  | { readonly type: typeof FRONT_DOOR_HTTP_API; readonly authorization: HttpApiAuthorization };

/** REST, with API keys unless `apiKeyRequired` is false: what a stack without the setting gets. */
export const DEFAULT_FRONT_DOOR: FrontDoorConfig = { type: FRONT_DOOR_REST };

/** Capacity units a provisioned table (and each of its indexes) may scale between. */
export interface CapacityRange {
  readonly min: number;
  readonly max: number;
}

/** DynamoDB billing of the stack's tables. */
export type TableBillingConfig =
  /** Pay per request: nothing to plan, $0.625 per million writes; best for spiky or unknown load. */
  | { readonly mode: 'on-demand' }
  /**
   * Provisioned capacity with target-tracking auto scaling: a fraction of on-demand's price per
   * write at a steady load (a WCU-hour is 3,600 writes); bursts beyond what it scaled to are throttled
   * (and retried by the SDK), so it suits a known, steady rate.
   */
  | {
      readonly mode: 'provisioned';
      readonly writeCapacity: CapacityRange;
      readonly readCapacity: CapacityRange;
      /** Utilization auto scaling aims for, 20-90 %. */
      readonly targetUtilizationPercent: number;
    };

/** On-demand: right for any load without planning; see the README for when provisioned pays. */
export const DEFAULT_TABLE_BILLING: TableBillingConfig = { mode: 'on-demand' };
