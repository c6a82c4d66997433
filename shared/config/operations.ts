import { z } from 'zod';
import { MAX_SQS_RETENTION_SECONDS, MIN_SQS_RETENTION_SECONDS } from '../aws-limits.js';
import { ConfigurationError } from '../errors.js';
import {
  DEFAULT_QUEUE_RETENTION_SECONDS,
  DLQ_RETENTION_SECONDS,
  MAX_QUEUE_RETENTION_SECONDS,
} from '../queues.js';
import type { Env } from './env-names.js';
import { parseWholeNumber } from './numbers.js';

/** Variables that tune the operations side of a deployment (alarms, continuing delivery) at synth time. */
export const OPS_ENV = {
  /** Address subscribed to the alarm topic; unset = alarms without notifications. */
  ALARM_EMAIL: 'ALARM_EMAIL',
  /** Age in seconds of the oldest waiting message that raises the "oldest message" alarm. */
  OLDEST_MESSAGE_ALARM_SECONDS: 'OLDEST_MESSAGE_ALARM_SECONDS',
  /** `false` leaves out the continuing-delivery state machines. */
  AUTO_REDRIVE: 'AUTO_REDRIVE',
  /** Start continuing delivery by itself every this many minutes; unset = only by `gd` or the console. */
  AUTO_REDRIVE_SCHEDULE_MINUTES: 'AUTO_REDRIVE_SCHEDULE_MINUTES',
  /** First wait after a redrive, in seconds; each later wait doubles. */
  AUTO_REDRIVE_INITIAL_WAIT_SECONDS: 'AUTO_REDRIVE_INITIAL_WAIT_SECONDS',
  /** Cap of the doubling wait, in seconds. */
  AUTO_REDRIVE_MAX_WAIT_SECONDS: 'AUTO_REDRIVE_MAX_WAIT_SECONDS',
  /** Redrives per execution before it gives up and notifies. */
  AUTO_REDRIVE_MAX_ROUNDS: 'AUTO_REDRIVE_MAX_ROUNDS',
  /** How long the delivery queues keep a message, in seconds (SQS allows 60 to 1,209,600). */
  QUEUE_RETENTION_SECONDS: 'QUEUE_RETENTION_SECONDS',
  /** Archive a message once it is this close, in seconds, to its queue's retention. */
  ARCHIVE_MARGIN_SECONDS: 'ARCHIVE_MARGIN_SECONDS',
  /** How often the archiver looks for messages nearing retention, in seconds (AWS: whole minutes). */
  ARCHIVE_INTERVAL_SECONDS: 'ARCHIVE_INTERVAL_SECONDS',
  /** Which alarms each route gets: `essential` (dead letters, oldest message), `all` or `none`. */
  ROUTE_ALARMS: 'ROUTE_ALARMS',
  /** `true` turns on API Gateway's detailed (per-method) metrics, billed as custom metrics. */
  API_DETAILED_METRICS: 'API_DETAILED_METRICS',
  /** `active` records X-Ray traces in the functions, the API stage and the state machines. */
  TRACING: 'TRACING',
} as const;

/**
 * The alarms of each route (docs/front-door-and-billing.md, "What a route costs"): an alarm costs per
 * month whether or not it ever fires. `essential` keeps the two that say a message is stuck (dead
 * letters, the oldest waiting message); the stack-wide alarms cover the rest for every route at once.
 */
export const ROUTE_ALARM_LEVELS = ['essential', 'all', 'none'] as const;
export type RouteAlarmLevel = (typeof ROUTE_ALARM_LEVELS)[number];

/** The parts of a deployment that cost money per route or per request, and their defaults. */
export interface CostOptions {
  /** @default 'essential' */
  readonly routeAlarms: RouteAlarmLevel;
  /** @default false */
  readonly apiDetailedMetrics: boolean;
  /** @default false */
  readonly tracing: boolean;
}

/** Longest wait a round may use: a week keeps ten rounds well inside Step Functions' one-year limit. */
export const MAX_REDRIVE_WAIT_SECONDS = 7 * 24 * 3600;
/** Most rounds one execution may run. */
export const MAX_REDRIVE_ROUNDS = 100;

/** Continuing delivery (docs/runbook.md, "Keep trying until delivered"): redrive the DLQ with growing waits, capped. */
export interface ContinuingDeliveryConfig {
  /** Whether the per-route state machines are deployed at all. */
  readonly enabled: boolean;
  /** Minutes between scheduled starts; undefined = started only by `gd` or the console. */
  readonly scheduleMinutes?: number;
  /** Wait after the first redrive, in seconds. */
  readonly initialWaitSeconds: number;
  /** Cap of the doubling wait, in seconds. */
  readonly maxWaitSeconds: number;
  /** Redrives before the execution gives up and notifies. */
  readonly maxRounds: number;
}

/** Nothing expires silently: how long queues keep messages and when the archiver takes them. */
export interface RetentionConfig {
  /** Delivery queue retention in seconds. */
  readonly queueRetentionSeconds: number;
  /** Archive a message when its age reaches its queue's retention minus this. */
  readonly archiveMarginSeconds: number;
  /** Seconds between archiver runs. */
  readonly archiveIntervalSeconds: number;
}

/**
 * Ages (seconds) at which a queue with `retentionSeconds` raises its "nearing retention" alarm and
 * has its messages archived. The alarm comes first, by a day or by half the margin, whichever is less.
 */
export function archiveThresholds(
  retention: Pick<RetentionConfig, 'archiveMarginSeconds'>,
  retentionSeconds: number,
) {
  const archiveAfterSeconds = Math.max(0, retentionSeconds - retention.archiveMarginSeconds);
  const lead = Math.min(86_400, Math.floor(retention.archiveMarginSeconds / 2));
  return { archiveAfterSeconds, alarmAfterSeconds: Math.max(0, archiveAfterSeconds - lead) };
}

/**
 * A route's DLQ: the age (by its original enqueue time) at which a dead letter is archived, and the
 * ages of the oldest message, as CloudWatch's ApproximateAgeOfOldestMessage reports it, at which the
 * archiver walks the DLQ and its alarm goes off. On a standard queue a dead letter SQS moved keeps its
 * original enqueue timestamp while that metric counts from the move, so the metric can be short of
 * the dead letter's age by up to the delivery queue's retention; a FIFO queue resets the timestamp
 * on the move ("Setting-up dead-letter queue retention in Amazon SQS", SQS Developer Guide:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html).
 */
export function deadLetterThresholds(
  retention: Pick<RetentionConfig, 'archiveMarginSeconds' | 'queueRetentionSeconds'>,
  ordered: boolean,
) {
  const { archiveAfterSeconds, alarmAfterSeconds } = archiveThresholds(retention, DLQ_RETENTION_SECONDS);
  const understatedBy = ordered ? 0 : retention.queueRetentionSeconds;
  return {
    archiveAfterSeconds,
    walkAfterSeconds: Math.max(0, archiveAfterSeconds - understatedBy),
    alarmAfterSeconds: Math.max(0, alarmAfterSeconds - understatedBy),
  };
}

/** The operations side of a deployment: alarm notifications, alarm thresholds, continuing delivery. */
export interface OperationsConfig {
  /** Email subscribed to the alarm topic; undefined = no topic is created. */
  readonly alarmEmail?: string;
  /** Oldest-message age (seconds) that raises the alarm. */
  readonly oldestMessageAlarmSeconds: number;
  readonly continuingDelivery: ContinuingDeliveryConfig;
  readonly retention: RetentionConfig;
  readonly cost: CostOptions;
}

/** What {@link loadOperationsConfig} returns when no variable is set. */
export const DEFAULT_OPERATIONS_CONFIG: OperationsConfig = {
  oldestMessageAlarmSeconds: 15 * 60,
  continuingDelivery: {
    enabled: true,
    initialWaitSeconds: 5 * 60,
    maxWaitSeconds: 6 * 3600,
    maxRounds: 10,
  },
  retention: {
    queueRetentionSeconds: DEFAULT_QUEUE_RETENTION_SECONDS,
    // Two days: a daily run that fails once still gets a second chance before SQS deletes anything.
    archiveMarginSeconds: 2 * 86_400,
    archiveIntervalSeconds: 3600,
  },
  cost: { routeAlarms: 'essential', apiDetailedMetrics: false, tracing: false },
};

/** Whole numbers in a variable: `'10'` → 10; anything else is left for zod to reject with the raw value. */
const wholeNumber = (min: number, max: number) =>
  z.preprocess(
    (raw) => (typeof raw === 'string' ? (parseWholeNumber(raw) ?? raw) : raw),
    z
      .number({ error: `must be a whole number from ${min} to ${max}` })
      .int()
      .min(min)
      .max(max),
  );

const booleanText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false'], { error: "must be 'true' or 'false'" }))
  .transform((text) => text === 'true');

/** Each variable with its rule; a variable that is unset or blank keeps its default. */
const envSchema = z.object({
  [OPS_ENV.ALARM_EMAIL]: z.email({ error: 'must be an email address' }).optional(),
  [OPS_ENV.OLDEST_MESSAGE_ALARM_SECONDS]: wholeNumber(60, 14 * 24 * 3600).optional(),
  [OPS_ENV.AUTO_REDRIVE]: booleanText.optional(),
  [OPS_ENV.AUTO_REDRIVE_SCHEDULE_MINUTES]: wholeNumber(1, 7 * 24 * 60).optional(),
  [OPS_ENV.AUTO_REDRIVE_INITIAL_WAIT_SECONDS]: wholeNumber(1, MAX_REDRIVE_WAIT_SECONDS).optional(),
  [OPS_ENV.AUTO_REDRIVE_MAX_WAIT_SECONDS]: wholeNumber(1, MAX_REDRIVE_WAIT_SECONDS).optional(),
  [OPS_ENV.AUTO_REDRIVE_MAX_ROUNDS]: wholeNumber(1, MAX_REDRIVE_ROUNDS).optional(),
  [OPS_ENV.QUEUE_RETENTION_SECONDS]: wholeNumber(
    MIN_SQS_RETENTION_SECONDS,
    MAX_SQS_RETENTION_SECONDS,
  ).optional(),
  [OPS_ENV.ARCHIVE_MARGIN_SECONDS]: wholeNumber(1, MAX_SQS_RETENTION_SECONDS).optional(),
  [OPS_ENV.ARCHIVE_INTERVAL_SECONDS]: wholeNumber(1, 86_400).optional(),
  [OPS_ENV.ROUTE_ALARMS]: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(ROUTE_ALARM_LEVELS, { error: `must be one of ${ROUTE_ALARM_LEVELS.join(', ')}` }))
    .optional(),
  [OPS_ENV.API_DETAILED_METRICS]: booleanText.optional(),
  [OPS_ENV.TRACING]: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['active', 'off'], { error: "must be 'active' or 'off'" }))
    .optional(),
});

/**
 * Builds the {@link OperationsConfig} from the environment (`cdk synth` passes process.env), validated:
 * a bad value fails synth with the variable's name and the value it had.
 */
export function loadOperationsConfig(env: Env): OperationsConfig {
  const raw = Object.fromEntries(
    Object.values(OPS_ENV).map((name) => [name, env[name]?.trim() ? env[name]?.trim() : undefined]),
  );
  const result = envSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name} ${issue.message}, got '${raw[name]}'`;
    });
    throw new ConfigurationError(`Invalid operations configuration: ${problems.join('; ')}`);
  }
  const values = result.data;
  const defaults = DEFAULT_OPERATIONS_CONFIG.continuingDelivery;
  const continuingDelivery: ContinuingDeliveryConfig = {
    enabled: values.AUTO_REDRIVE ?? defaults.enabled,
    scheduleMinutes: values.AUTO_REDRIVE_SCHEDULE_MINUTES,
    initialWaitSeconds: values.AUTO_REDRIVE_INITIAL_WAIT_SECONDS ?? defaults.initialWaitSeconds,
    maxWaitSeconds: values.AUTO_REDRIVE_MAX_WAIT_SECONDS ?? defaults.maxWaitSeconds,
    maxRounds: values.AUTO_REDRIVE_MAX_ROUNDS ?? defaults.maxRounds,
  };
  if (continuingDelivery.maxWaitSeconds < continuingDelivery.initialWaitSeconds) {
    throw new ConfigurationError(
      `${OPS_ENV.AUTO_REDRIVE_MAX_WAIT_SECONDS} (${continuingDelivery.maxWaitSeconds}) must be at least ${OPS_ENV.AUTO_REDRIVE_INITIAL_WAIT_SECONDS} (${continuingDelivery.initialWaitSeconds})`,
    );
  }
  if (!continuingDelivery.enabled && continuingDelivery.scheduleMinutes !== undefined) {
    throw new ConfigurationError(
      `${OPS_ENV.AUTO_REDRIVE_SCHEDULE_MINUTES} is '${continuingDelivery.scheduleMinutes}' but ${OPS_ENV.AUTO_REDRIVE} is 'false': unset one of them`,
    );
  }
  const retentionDefaults = DEFAULT_OPERATIONS_CONFIG.retention;
  const retention: RetentionConfig = {
    queueRetentionSeconds: values.QUEUE_RETENTION_SECONDS ?? retentionDefaults.queueRetentionSeconds,
    archiveMarginSeconds: values.ARCHIVE_MARGIN_SECONDS ?? retentionDefaults.archiveMarginSeconds,
    archiveIntervalSeconds: values.ARCHIVE_INTERVAL_SECONDS ?? retentionDefaults.archiveIntervalSeconds,
  };
  if (retention.queueRetentionSeconds > MAX_QUEUE_RETENTION_SECONDS) {
    throw new ConfigurationError(
      `${OPS_ENV.QUEUE_RETENTION_SECONDS} (${retention.queueRetentionSeconds}) must be at most ${MAX_QUEUE_RETENTION_SECONDS}, a day less than the dead-letter queues' ${DLQ_RETENTION_SECONDS}: a message SQS moves to a DLQ keeps its original enqueue time, so it would expire there as soon as it arrived`,
    );
  }
  if (retention.archiveMarginSeconds >= retention.queueRetentionSeconds) {
    throw new ConfigurationError(
      `${OPS_ENV.ARCHIVE_MARGIN_SECONDS} (${retention.archiveMarginSeconds}) must be less than ${OPS_ENV.QUEUE_RETENTION_SECONDS} (${retention.queueRetentionSeconds}): messages would be archived as soon as they arrive`,
    );
  }
  if (retention.archiveIntervalSeconds >= retention.archiveMarginSeconds) {
    throw new ConfigurationError(
      `${OPS_ENV.ARCHIVE_INTERVAL_SECONDS} (${retention.archiveIntervalSeconds}) must be less than ${OPS_ENV.ARCHIVE_MARGIN_SECONDS} (${retention.archiveMarginSeconds}): a message could expire between two archiver runs`,
    );
  }
  const costDefaults = DEFAULT_OPERATIONS_CONFIG.cost;
  return {
    alarmEmail: values.ALARM_EMAIL,
    retention,
    cost: {
      routeAlarms: values.ROUTE_ALARMS ?? costDefaults.routeAlarms,
      apiDetailedMetrics: values.API_DETAILED_METRICS ?? costDefaults.apiDetailedMetrics,
      tracing: values.TRACING === undefined ? costDefaults.tracing : values.TRACING === 'active',
    },
    oldestMessageAlarmSeconds:
      values.OLDEST_MESSAGE_ALARM_SECONDS ?? DEFAULT_OPERATIONS_CONFIG.oldestMessageAlarmSeconds,
    continuingDelivery,
  };
}
