import * as SQS from '@aws-sdk/client-sqs';
import { redriveDeadLetters } from '../../shared/aws/dead-letter-redrive.js';
import { describeError } from '../../shared/errors.js';
import { isMoveTaskUnsupported } from './redrive-route.js';

/**
 * The Task states of a continuing-delivery definition performed the way Step Functions performs
 * them, for an Amazon States Language interpreter (aws-local-stepfunctions) that only runs local
 * functions: each `arn:aws:states:::aws-sdk:sqs:<action>` becomes that SQS call with the state's
 * parameters, and `arn:aws:states:::sns:publish` a publish through `publish`. Where the emulator has
 * no StartMessageMoveTask (moto), the move is made here by the local stack's own batched receive /
 * send / delete (shared/aws/dead-letter-redrive.ts), and ListMessageMoveTasks reports it.
 */

/** An ASL state as the tasks need it. */
interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
}

/** A task's effective input (its Parameters applied) and its result, as JSON. */
type Json = Parameters<typeof JSON.stringify>[0];
export type TaskHandler = (input: Json) => Promise<Json>;

/** What the tasks call: SQS, and how to publish (to the alarm topic) when the definition notifies. */
export interface StateMachineTaskPorts {
  readonly sqs: SQS.SQSClient;
  /** Queue URLs of the emulator from their ARNs (SQS's own URL format, or the emulator's). */
  readonly queueUrl: (arn: string) => string;
  /** @default - publishing fails the task (the definition catches it and fails anyway) */
  readonly publish?: (input: { TopicArn?: string; Subject?: string; Message?: string }) => Promise<void>;
}

/** An SDK task's error as Step Functions names it: `<Service>.<ExceptionName>` (States.TaskFailed catches it). */
class TaskError extends Error {
  constructor(service: string, cause: unknown) {
    super(describeError(cause), { cause });
    const name = cause instanceof Error ? cause.name : 'Error';
    this.name = `${service.charAt(0).toUpperCase()}${service.slice(1)}.${name}`;
  }
}

/** A move made here because the emulator has none: what ListMessageMoveTasks reports for its source. */
interface LocalMove {
  readonly TaskHandle: string;
  Status: 'RUNNING' | 'COMPLETED' | 'FAILED';
  ApproximateNumberOfMessagesMoved: number;
  FailureReason?: string;
  readonly SourceArn: string;
  readonly DestinationArn: string;
  readonly StartedTimestamp: number;
}

/** `startMessageMoveTask` → `StartMessageMoveTaskCommand`. */
const commandName = (action: string) => `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;

/** Drops the SDK's `$metadata`: a Task gets the API's answer alone. */
function answer(output: Record<string, unknown>): Json {
  const { $metadata: _metadata, ...rest } = output;
  return JSON.parse(JSON.stringify(rest)) as Json;
}

/** A local handler for every Task state of `definition`, by state name. */
export function stateMachineTaskHandlers(
  definition: { readonly States: Readonly<Record<string, TaskState>> },
  ports: StateMachineTaskPorts,
): Record<string, TaskHandler> {
  const moves = new Map<string, LocalMove>();
  const localMove = async (input: Record<string, string>): Promise<Json> => {
    const running = moves.get(input.SourceArn ?? '');
    if (running?.Status === 'RUNNING') {
      throw new TaskError(
        'sqs',
        Object.assign(new Error('A message move task is already running'), { name: 'UnsupportedOperation' }),
      );
    }
    const move: LocalMove = {
      TaskHandle: `local-${Date.now()}`,
      Status: 'RUNNING',
      ApproximateNumberOfMessagesMoved: 0,
      SourceArn: input.SourceArn ?? '',
      DestinationArn: input.DestinationArn ?? '',
      StartedTimestamp: Date.now(),
    };
    moves.set(move.SourceArn, move);
    // As SQS's own task, the move goes on after the call answers.
    void redriveDeadLetters(ports.sqs, {
      dlqUrl: ports.queueUrl(move.SourceArn),
      queueUrl: ports.queueUrl(move.DestinationArn),
      onProgress: (progress) => {
        move.ApproximateNumberOfMessagesMoved = progress.moved;
      },
    }).then(
      (result) => {
        move.ApproximateNumberOfMessagesMoved = result.moved;
        move.Status = 'COMPLETED';
      },
      (error: unknown) => {
        move.Status = 'FAILED';
        move.FailureReason = describeError(error);
      },
    );
    return { TaskHandle: move.TaskHandle };
  };

  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const sdk = /^arn:aws[\w-]*:states:::aws-sdk:(\w+):(\w+)$/.exec(state.Resource);
    if (state.Resource.endsWith(':sns:publish')) {
      handlers[name] = async (input) => {
        if (!ports.publish) throw new TaskError('sns', new Error('no topic to publish to here'));
        await ports.publish(input as { TopicArn?: string; Subject?: string; Message?: string });
        return {};
      };
    } else if (sdk?.[1] === 'sqs' && sdk[2]) {
      const action = sdk[2];
      const Command = (SQS as unknown as Record<string, new (input: unknown) => SQS.ListQueuesCommand>)[
        commandName(action)
      ];
      if (!Command) throw new Error(`state ${name}: no SQS action ${action}`);
      handlers[name] = async (input) => {
        try {
          return answer((await ports.sqs.send(new Command(input))) as unknown as Record<string, unknown>);
        } catch (error) {
          if (action === 'startMessageMoveTask' && isMoveTaskUnsupported(error)) {
            return localMove(input as Record<string, string>);
          }
          if (action === 'listMessageMoveTasks' && isMoveTaskUnsupported(error)) {
            const move = moves.get(String((input as Record<string, unknown>).SourceArn));
            return { Results: move ? [{ ...move }] : [] };
          }
          throw new TaskError('sqs', error);
        }
      };
    } else {
      throw new Error(`state ${name}: no local way to run ${state.Resource}`);
    }
  }
  return handlers;
}
