import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  type Stage,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigateway';
import type { HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpApi,
  LogGroupLogDestination as HttpLogGroupLogDestination,
  HttpMethod,
  HttpStage,
  type IHttpRouteAuthorizer,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  DEFAULT_FRONT_DOOR,
  FRONT_DOOR_HTTP_API,
  type FrontDoorConfig,
} from '../../shared/config/front-door.js';
import { PROXY_PATH_PARAMETER } from '../../shared/config/message-lookup.js';
import { ConfigurationError } from '../../shared/errors.js';

/** The API stage; part of every URL, on either front door. */
export const API_STAGE_NAME = 'v1';

/**
 * API Gateway answers some requests itself, before the ingest runs: a body over its 10 MB, a
 * throttled client, a missing or wrong API key, an unknown path, a failed or timed-out Lambda
 * invocation (a body over Lambda's 6 MB invocation payload is one of those, a 500). Its own body,
 * `{"message": "..."}`, is not the contract's, so the REST API's gateway responses are shaped to
 * `{"error": "...", "type": "<gateway response type>", "requestId": "..."}`, each type keeping its
 * status code. DEFAULT_4XX and DEFAULT_5XX cover every type not listed
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).
 * An `error` of its own where API Gateway's message says too little; none may hold `$` or `#`
 * (the template is Velocity).
 */
export const GATEWAY_RESPONSES: ReadonlyArray<{
  readonly type: ResponseType;
  readonly error?: string;
  readonly headers?: Readonly<Record<string, string>>;
}> = [
  { type: ResponseType.DEFAULT_4XX },
  { type: ResponseType.DEFAULT_5XX },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    error:
      'request too large for the API (API Gateway takes at most 10 MB; each route takes its maxBodyBytes)',
  },
  // The stage's throttle refills within the second.
  {
    type: ResponseType.THROTTLED,
    error: 'too many requests: slow down and retry',
    headers: { 'Retry-After': "'1'" },
  },
  { type: ResponseType.QUOTA_EXCEEDED, error: "the API key's usage plan quota is used up" },
  { type: ResponseType.INVALID_API_KEY, error: 'missing or invalid API key (the x-api-key header)' },
  // What a REST API answers for a path or method it does not have.
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    error: 'no such path or method: POST <route path>, POST <route path>/batch, GET <route path>/{messageId}',
  },
  { type: ResponseType.ACCESS_DENIED },
  { type: ResponseType.UNAUTHORIZED },
  {
    type: ResponseType.INTEGRATION_TIMEOUT,
    error:
      'the ingest did not answer in time; the message may be stored: retry with the same Idempotency-Key',
  },
  {
    type: ResponseType.INTEGRATION_FAILURE,
    error: 'the ingest could not be invoked; retry with the same Idempotency-Key',
  },
];

/** The Velocity template of a gateway response's body: the contract's `{"error": ...}`. */
export function gatewayErrorTemplate(error?: string): string {
  const message = error === undefined ? '$context.error.messageString' : JSON.stringify(error);
  return `{"error":${message},"type":"$context.error.responseType","requestId":"$context.requestId"}`;
}

/** Properties of {@link DeliveryApi}. */
export interface DeliveryApiProps {
  /**
   * REST API (API keys, usage plans) or HTTP API (IAM or JWT authorization).
   * @default DEFAULT_FRONT_DOOR (REST)
   */
  readonly frontDoor?: FrontDoorConfig;
  /** REST only: whether methods require an API key; the usage plan is the stack's. */
  readonly apiKeyRequired: boolean;
  /** Throttling of the whole stage (all clients together). */
  readonly stageThrottle: ThrottleSettings;
  /** Retention of the access log group. */
  readonly logRetention: RetentionDays;
  /**
   * REST only: whether this API sets (and retains) API Gateway's account CloudWatch role, through
   * which the stage's access and execution logs are written. Without it the REST stage does not
   * log at all: a stage with logging fails to deploy where that account setting was never made.
   * @default true
   */
  readonly apiCloudWatchRole?: boolean;
  /**
   * API Gateway's detailed metrics (per method, billed as custom metrics: "Amazon API Gateway
   * dimensions and metrics", https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
   * The stage's own metrics are free and always there.
   * @default false
   */
  readonly detailedMetrics?: boolean;
  /**
   * Active X-Ray tracing of the stage (billed per trace recorded).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * The API's name. API Gateway's metrics (and the 5xx alarms on them) are keyed by it, so two
   * stacks in one account need different names.
   * @default - the stack name
   */
  readonly apiName?: string;
}

/** What the ingest's endpoint became on the front door. */
export interface IngestEndpoints {
  /** REST: `ANY /{proxy+}`, every route's paths. */
  readonly method?: Method;
  /** HTTP API: `ANY /{proxy+}`. */
  readonly httpRoutes?: readonly HttpRoute[];
}

/**
 * The stack's front door: one API Gateway REST API or HTTP API, access-logged and throttled per
 * stage, with one greedy resource, `ANY /{proxy+}`, on the one ingest function, which routes every
 * route's `POST <path>`, `POST <path>/batch` and `GET <path>/{messageId}` by path itself
 * (functions/ingest/match-route.ts). So the API has one resource, one method and one Lambda
 * permission whatever the number of routes: a REST API allows 300 resources by default ("Amazon API
 * Gateway quotas", https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), and a
 * function's resource-based policy 20 KB ("Lambda quotas",
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), which a permission per
 * method would pass at a few dozen routes. The ingest reads the same proxy event from both front
 * doors: the HTTP API integration uses payload format 1.0.
 */
export class DeliveryApi extends Construct {
  /** The chosen front door. */
  public readonly frontDoor: FrontDoorConfig;
  /** The REST API, when that is the front door. */
  public readonly restApi?: RestApi;
  /** The HTTP API, when that is the front door. */
  public readonly httpApi?: HttpApi;
  /** The HTTP API's stage. */
  public readonly httpStage?: HttpStage;
  /** Base URL of the stage, ending in `/`. */
  public readonly url: string;
  private readonly apiKeyRequired: boolean;
  private readonly authorizer?: IHttpRouteAuthorizer;

  constructor(scope: Construct, id: string, props: DeliveryApiProps) {
    const frontDoor = validateFrontDoor(props.frontDoor ?? DEFAULT_FRONT_DOOR);
    super(scope, id);
    this.frontDoor = frontDoor;
    this.apiKeyRequired = props.apiKeyRequired;
    const apiName = props.apiName ?? Stack.of(this).stackName;
    const cloudWatchRole = props.apiCloudWatchRole ?? true;
    const accessLogs = () =>
      new LogGroup(this, 'AccessLogs', {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    if (frontDoor.type === FRONT_DOOR_HTTP_API) {
      this.httpApi = new HttpApi(this, 'HttpApi', {
        apiName,
        description: 'Guaranteed delivery: accepts messages and stores them durably before answering 202',
        createDefaultStage: false,
      });
      this.httpStage = new HttpStage(this, 'Stage', {
        httpApi: this.httpApi,
        stageName: API_STAGE_NAME,
        autoDeploy: true,
        throttle: props.stageThrottle,
        detailedMetricsEnabled: true,
        accessLogSettings: {
          destination: new HttpLogGroupLogDestination(accessLogs()),
          format: AccessLogFormat.jsonWithStandardFields(),
        },
      });
      const auth = frontDoor.authorization;
      this.authorizer =
        auth.type === 'iam'
          ? new HttpIamAuthorizer()
          : new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: [...auth.audience] });
      // HttpStage.url has no trailing slash; the REST API's has one, and clients append paths to either.
      this.url = `${this.httpStage.url}/`;
      return;
    }
    // Access logs and execution logs (errors only, never request data: bodies may hold personal
    // data) are both written through the account's CloudWatch role, so both go with it.
    const logging = cloudWatchRole
      ? {
          accessLogDestination: new LogGroupLogDestination(accessLogs()),
          accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
          loggingLevel: MethodLoggingLevel.ERROR,
          dataTraceEnabled: false,
        }
      : {};
    this.restApi = new RestApi(this, 'Api', {
      restApiName: apiName,
      description: 'Guaranteed delivery: accepts messages and stores them durably before answering 202',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole,
      // The account setting outlives the stack: other APIs of the account may log through it by then.
      ...(cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: API_STAGE_NAME,
        ...logging,
        throttlingRateLimit: props.stageThrottle.rateLimit,
        throttlingBurstLimit: props.stageThrottle.burstLimit,
        tracingEnabled: props.tracing ?? false,
        metricsEnabled: props.detailedMetrics ?? false,
      },
    });
    for (const { type, error, headers } of GATEWAY_RESPONSES) {
      this.restApi.addGatewayResponse(`GatewayResponse${type.responseType}`, {
        type,
        templates: { 'application/json': gatewayErrorTemplate(error) },
        ...(headers ? { responseHeaders: { ...headers } } : {}),
      });
    }
    this.url = this.restApi.url;
  }

  /** REST only: the deployed stage (usage plans and per-method metrics name it). */
  get restStage(): Stage | undefined {
    return this.restApi?.deploymentStage;
  }

  /** Adds `ANY /{proxy+}`, proxied to the ingest, with one Lambda permission for the whole API. */
  addIngest(ingest: IFunction): IngestEndpoints {
    const proxyPath = `/{${PROXY_PATH_PARAMETER}+}`;
    if (this.httpApi) {
      // Payload format 1.0 is the REST proxy event: one ingest handler serves both front doors.
      const integration = new HttpLambdaIntegration('Ingest', ingest, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_1_0,
      });
      const httpRoutes = this.httpApi.addRoutes({
        path: proxyPath,
        methods: [HttpMethod.ANY],
        integration,
        authorizer: this.authorizer,
      });
      return { httpRoutes };
    }
    const restApi = this.restApi as RestApi;
    // One permission for every method and path of the API (not one per method: the function's
    // resource-based policy is limited to 20 KB); it covers the console's test invocations too.
    const integration = new LambdaIntegration(ingest, { proxy: true, scopePermissionToMethod: false });
    const method = restApi.root
      .addResource(proxyPath.slice(1))
      .addMethod('ANY', integration, { apiKeyRequired: this.apiKeyRequired });
    const auth = this.apiKeyRequired
      ? 'Clients authenticate with an API key under a usage plan: the chosen auth for machine clients posting messages.'
      : 'API key auth is switched off in configuration (apiKeyRequired false) on purpose; nothing else is expected.';
    Validations.of(method).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: auth },
      { id: 'AwsSolutions-COG4', reason: `${auth} There are no Cognito users to authorize.` },
    );
    return { method };
  }
}

function validateFrontDoor(frontDoor: FrontDoorConfig): FrontDoorConfig {
  if (frontDoor.type !== FRONT_DOOR_HTTP_API) return frontDoor;
  const auth = frontDoor.authorization;
  if (auth.type === 'jwt') {
    if (!/^https:\/\//.test(auth.issuer)) {
      throw new ConfigurationError(
        `frontDoor.authorization.issuer must be the https:// URL of the JWT issuer (its OIDC discovery document), got '${auth.issuer}'`,
      );
    }
    if (auth.audience.length === 0) {
      throw new ConfigurationError(
        'frontDoor.authorization.audience must list at least one audience (client id) the JWT must carry, got []',
      );
    }
  }
  return frontDoor;
}
