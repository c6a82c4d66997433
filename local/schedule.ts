import { setTimeout as sleep } from 'node:timers/promises';
/**
 * EventBridge's schedule for the local runner: calls `run` every `intervalMs`, never two at once
 * (a run longer than the interval delays the next one instead of overlapping it).
 */

export interface Schedule {
  /** Cancels future runs and waits (at most `graceMs`) for the current one to end. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the schedule; the first run is at once, so a restart drains what an earlier run left. */
export function startSchedule(intervalMs: number, run: () => Promise<void>): Schedule {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    const startedAt = Date.now();
    current = run()
      .catch(() => undefined) // `run` reports its own failures; a schedule keeps going regardless
      .finally(() => {
        current = undefined;
        if (!stopped) timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - startedAt)));
      });
  };
  timer = setTimeout(tick, 0);

  return {
    async stop(graceMs = 10_000) {
      stopped = true;
      clearTimeout(timer);
      if (current) await Promise.race([current, sleep(graceMs, undefined, { ref: false })]);
    },
  };
}
