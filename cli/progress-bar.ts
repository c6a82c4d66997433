import type { Output } from './output.js';

/** Progress of a long operation (a redrive): how many are done out of about how many. */
export interface Progress {
  readonly done: number;
  /** Approximate total; SQS counts are approximate, so `done` may pass it. */
  readonly total?: number;
}

const WIDTH = 30;

/** `[########......................]  8/30 moved` — the bar alone, without terminal control codes. */
export function renderProgressBar(progress: Progress, label: string): string {
  const total = progress.total ?? 0;
  if (total <= 0) return `${progress.done} ${label}`;
  const ratio = Math.min(1, progress.done / total);
  const filled = Math.round(ratio * WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${progress.done}/${total} ${label}`;
}

/**
 * A progress callback that draws a bar on a terminal and stays silent otherwise (a pipe or a log
 * file would only collect `\r` noise). Redraws at most every 100 ms.
 */
export function progressReporter(output: Output, label: string) {
  let lastDraw = 0;
  return {
    update(progress: Progress): void {
      if (!output.interactive) return;
      const now = Date.now();
      if (now - lastDraw < 100 && progress.done < (progress.total ?? Number.POSITIVE_INFINITY)) return;
      lastDraw = now;
      output.progress(renderProgressBar(progress, label));
    },
    end(): void {
      if (output.interactive) output.endProgress();
    },
  };
}
