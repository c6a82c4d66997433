/**
 * Where commands write. Results go to `out` (stdout: a table, or one JSON document with `--json`),
 * diagnostics and progress to `err` (stderr), so `gd status --json | jq` never sees a progress bar.
 */
export interface Output {
  /** Writes one result line (a newline is added). */
  out(text: string): void;
  /** Writes one diagnostic line (a newline is added). */
  err(text: string): void;
  /** Whether stderr is a terminal: only then is a progress bar drawn. */
  readonly interactive: boolean;
  /** Redraws the progress line in place (`\r`); called only when {@link interactive}. */
  progress(text: string): void;
  /** Ends the progress line so the next output starts on a fresh line. */
  endProgress(): void;
}

/** The real terminal: stdout and stderr of this process. */
export function processOutput(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Output {
  let drawing = false;
  return {
    out: (text) => stdout.write(`${text}\n`),
    err: (text) => stderr.write(`${text}\n`),
    interactive: Boolean(stderr.isTTY),
    progress(text) {
      drawing = true;
      // \x1b[K clears what a longer previous line left on the right.
      stderr.write(`\r${text}\x1b[K`);
    },
    endProgress() {
      if (drawing) stderr.write('\n');
      drawing = false;
    },
  };
}

/** An output that keeps what was written; for tests and for callers that embed the commands. */
export function memoryOutput(options: { interactive?: boolean } = {}) {
  const lines = { out: [] as string[], err: [] as string[], progress: [] as string[] };
  const output: Output = {
    out: (text) => lines.out.push(text),
    err: (text) => lines.err.push(text),
    interactive: options.interactive ?? false,
    progress: (text) => lines.progress.push(text),
    endProgress: () => undefined,
  };
  return {
    output,
    lines,
    /** Everything written to `out`, joined. */
    stdout: () => lines.out.join('\n'),
    /** The `out` text parsed as JSON (for `--json` runs). */
    json: <T = unknown>(): T => JSON.parse(lines.out.join('\n')) as T,
  };
}

/** Writes a value as the one JSON document of a `--json` run. */
export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}

/** A column of {@link formatTable}; numbers read best right-aligned. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string | number;
  readonly align?: 'left' | 'right';
}

/** A plain-text table: a header line, then one line per row, columns padded to their widest cell. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => String(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return columns[i]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map((line) => render(line))].join('\n');
}

/** `95` → `1m35s`; a compact age for tables. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}
