import type { Logger } from '@aws-lambda-powertools/logger';
import type { BreakerSettings } from '../../shared/circuit-breaker.js';
import type { HeaderValue } from '../../shared/config/header-value.js';
import type {
  Backend,
  BreakerStore,
  Clock,
  DeliverySwitch,
  MessageQueue,
  MessageRecords,
  PayloadSource,
  ProbeSource,
  SkipLedger,
} from '../../shared/ports.js';
import type { SigningKeys } from '../../shared/signing/signing-keys.js';
import type { RetryPolicy } from './backoff.js';
import type { SecretReader } from './route-headers.js';

/** The route settings the forwarder acts on. */
export interface ForwarderSettings {
  readonly route: string;
  readonly targetUrl: string;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
  readonly nonRetryableStatuses: ReadonlySet<number>;
  readonly logPayloads?: boolean;
  /** The route's static headers (e.g. Authorization): text or secret references; sent on every attempt, never logged. */
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  /** The route's circuit breaker (circuit-breaker.ts); absent = off. */
  readonly breaker?: BreakerSettings;
}

/** The forwarder's ports: both queues, the backend, the status records, a logger, a clock and its settings. */
export interface ForwarderDeps {
  readonly queue: MessageQueue;
  readonly deadLetters: MessageQueue;
  readonly backend: Backend;
  /** Status records: leased before each attempt (which reads them too), written with its result. */
  readonly records: MessageRecords;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly settings: ForwarderSettings;
  /** The route's signing secrets; absent for an unsigned route. */
  readonly signing?: SigningKeys;
  /** Reads the secrets that header values reference; absent when none does. */
  readonly secrets?: SecretReader;
  /** The payload bucket, where bodies over the claim-check threshold are; absent when there is none. */
  readonly payloads?: PayloadSource;
  /** On an ordered (FIFO) route: receives in which a record was skipped, not attempted. */
  readonly skips?: SkipLedger;
  /**
   * With `settings.breaker`: where the breaker's state is kept, the switch that stops and starts the
   * route's deliveries, and the queue its probe takes one message from.
   */
  readonly breaker?: {
    readonly store: BreakerStore;
    readonly deliveries: DeliverySwitch;
    readonly source: ProbeSource;
  };
}

/**
 * What became of one record once it may leave the queue (a record to be retried throws instead);
 * `put-back`: another copy held the id's delivery lease, and a copy of this one waits in the queue.
 */
export type ForwardOutcome = 'delivered' | 'duplicate' | 'dead-lettered' | 'put-back';
