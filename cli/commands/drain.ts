import type { DrainReport } from '../../functions/drainer/drain-failover.js';
import { type Output, printJson } from '../output.js';
import type { StackTarget } from '../stack/stack-target.js';

/** `gd drain`: runs the drainer now instead of waiting for its schedule, and prints its report. */
export async function drainCommand(
  stack: StackTarget,
  options: { json: boolean },
  output: Output,
): Promise<number> {
  const report = await stack.drain();
  const { ok, lines } = describeDrain(report);
  if (options.json) printJson(output, report);
  else for (const line of lines) output.out(line);
  return ok ? 0 : 1;
}

/** Whether a drain run left nothing behind that it should have moved, and its report in words. */
export function describeDrain(report: DrainReport): { ok: boolean; lines: string[] } {
  const ok =
    report.failed === 0 &&
    report.refused === 0 &&
    report.unroutable === 0 &&
    report.stoppedEarly !== 'lease-held' &&
    report.stoppedEarly !== 'queue-unavailable';
  const lines = [
    `drained: ${report.moved} moved from the failover table to their queues, ` +
      `${report.failed} not taken (SQS unavailable), ${report.refused} refused by SQS, ` +
      `${report.unroutable} unroutable`,
  ];
  const advice: Record<NonNullable<typeof report.stoppedEarly>, string> = {
    'lease-held': 'another drainer run holds the lease (a scheduled run is on); try again in a minute',
    'queue-unavailable':
      'SQS is unavailable (it took none of a batch); the items stay in the table until it is back',
    'time-budget': 'the time budget ran out; run gd drain again for the rest',
  };
  if (report.stoppedEarly) lines.push(`stopped early: ${advice[report.stoppedEarly]}`);
  if (report.refused > 0) {
    lines.push(
      'refused items: SQS rejected them for themselves (too large, characters it does not allow); they ' +
        "stay in the failover table and retrying will not help: the drainer's log names them and SQS's reasons",
    );
  }
  if (report.unroutable > 0) lines.push('unroutable items belong to routes this stack does not have');
  return { ok, lines };
}
