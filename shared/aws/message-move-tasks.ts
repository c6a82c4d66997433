/**
 * Statuses of an SQS message move task that still hold the queue. ListMessageMoveTasks reports
 * RUNNING, COMPLETED, CANCELLING, CANCELLED and FAILED, and "only one active message movement task
 * is supported per queue at any given time"
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasksResultEntry.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html):
 * a task being cancelled still blocks a new one until it is CANCELLED, so both count as running.
 * Shared by the continuing-delivery state machine and `gd redrive`, which follows a task.
 */
export const ACTIVE_MOVE_TASK_STATUSES = ['RUNNING', 'CANCELLING'] as const;

/** Whether a move task status (from ListMessageMoveTasks) still holds the source queue. */
export function isActiveMoveTask(status: string | undefined): boolean {
  return (ACTIVE_MOVE_TASK_STATUSES as readonly (string | undefined)[]).includes(status);
}
