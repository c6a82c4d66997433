import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { StackBindings } from '../../shared/config/function-config.js';
import type { RouteConfig } from '../../shared/config/routes.js';
import { queueNamePatterns } from '../../shared/resource-names.js';
import type { DeliveryApi, IngestEndpoints } from './delivery-api.js';
import { DEFAULT_MEMORY_MB, DeliveryFunction } from './delivery-function.js';
import type { PayloadBucket } from './payload-bucket.js';
import { grantOnQueuePatterns } from './queue-patterns.js';
import { routeTableAsset } from './route-table.js';

/** Properties of {@link DeliveryIngest}. */
export interface DeliveryIngestProps {
  /** Every route: their intakes become the ingest's route table. */
  readonly routes: readonly RouteConfig[];
  /** The front door: its one `/{proxy+}` resource reaches this ingest. */
  readonly api: DeliveryApi;
  /** What every function of the stack is told (tables, queue naming). */
  readonly bindings: StackBindings;
  /** The stack's resource prefix: the ingest may send to `<prefix>_q_*`, its delivery queues. */
  readonly namePrefix: string;
  /** The failover table; the ingest may only put and read items in it. */
  readonly failoverTable: ITable;
  /** The message table: status records. */
  readonly messageTable: ITable;
  /**
   * Where bodies over the claim-check threshold go; the ingest may only put, under its routes' prefixes.
   * @default - none: such bodies are refused with 413
   */
  readonly payloads?: PayloadBucket;
  /**
   * Memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout. Its SDK clients give up within about two seconds per store, and a large body's S3 write
   * within about seven, so this is headroom for a cold start, well under API Gateway's 29 s limit.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
}

/**
 * The one ingest of every route: `ANY /{proxy+}` on the front door → the function, which finds the
 * route by path in its route table (an asset, not its environment) and writes to that route's queue,
 * whose URL it derives from the route's name. Its grants cover the stack's delivery queues by name
 * pattern, so neither its policy nor its environment grows with the routes.
 */
export class DeliveryIngest extends Construct {
  /** Validates a request and stores it in its route's queue (or the failover table). */
  public readonly ingestFunction: DeliveryFunction;
  /** What the front door got: the proxy method (REST) or route (HTTP API). */
  public readonly endpoints: IngestEndpoints;

  constructor(scope: Construct, id: string, props: DeliveryIngestProps) {
    super(scope, id);
    const ingest = new DeliveryFunction(this, 'Function', {
      name: 'ingest',
      // No route count here: adding or removing a route changes only its own resources.
      description: "Accepts every route's messages into its delivery queue",
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? Duration.seconds(15),
      assetFiles: routeTableAsset(props.routes),
    });
    this.ingestFunction = ingest;
    ingest.setConfigDocument({ stack: props.bindings }, 'the ingest');

    grantOnQueuePatterns(
      ingest,
      ['sqs:SendMessage'],
      [queueNamePatterns(props.namePrefix).deliveryQueues],
      "The one ingest serves every route: it may send to the stack's delivery queues, named <prefix>_q_<route>, and to nothing else (not their DLQs, not another stack's queues).",
    );
    // Table.grant would also cover `<table>/index/*`; the ingest only ever touches the table itself.
    Grant.addToPrincipal({
      grantee: ingest,
      // Put (failover), Get (the body under an id a retry or a reused key ran into; the lookup of a
      // message whose status record is missing). Ordered routes also read their key's counter and
      // next slot (consistent GetItems) and raise the counter's hint with an Update.
      actions: [
        'dynamodb:PutItem',
        'dynamodb:GetItem',
        ...(props.routes.some((route) => route.ordering) ? ['dynamodb:UpdateItem'] : []),
      ],
      resourceArns: [props.failoverTable.tableArn],
    });
    // Put (accept), Get (the record a retry or a reused key ran into; the lookup), Update (moved to
    // failover), Delete (the record of a message no store took). The table only: it has no indexes.
    Grant.addToPrincipal({
      grantee: ingest,
      actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [props.messageTable.tableArn],
    });
    props.payloads?.grantPutPayloads(ingest);
    this.endpoints = props.api.addIngest(ingest);
  }
}
