import type { ArchiveEntry, S3ArchiveStore } from '../../shared/aws/s3-archive-store.js';
import { OperationFailedError } from '../errors.js';
import { type Column, formatTable, type Output, printJson } from '../output.js';
import { progressReporter } from '../progress-bar.js';
import { redriveFromArchive } from '../stack/archive-redrive.js';
import { type StackTarget, selectRoutes } from '../stack/stack-target.js';

/** The stack's archive, or an error that says why there is none. */
export function requireArchive(stack: StackTarget): S3ArchiveStore {
  if (stack.archive) return stack.archive;
  throw new OperationFailedError(
    `${stack.description} has no archive bucket (stack output ArchiveBucketName); redeploy it with \`npm run deploy\``,
  );
}

export interface ArchiveListOptions {
  readonly json: boolean;
  readonly route?: string;
  /** Most entries to list, over all selected routes. */
  readonly limit: number;
}

const COLUMNS: readonly Column<ArchiveEntry>[] = [
  { header: 'ROUTE', value: (row) => row.route },
  { header: 'ID', value: (row) => row.id },
  { header: 'ARCHIVED', value: (row) => row.archivedAt ?? '-' },
  { header: 'BYTES', value: (row) => row.size, align: 'right' },
];

/** `gd archive list`: the messages archived before SQS's retention would have deleted them. */
export async function archiveListCommand(
  stack: StackTarget,
  options: ArchiveListOptions,
  output: Output,
): Promise<number> {
  const archive = requireArchive(stack);
  const entries: ArchiveEntry[] = [];
  for (const route of selectRoutes(stack, options.route)) {
    if (entries.length >= options.limit) break;
    entries.push(...(await archive.list(route.name, options.limit - entries.length)));
  }
  if (options.json) {
    printJson(output, entries);
  } else if (entries.length === 0) {
    output.out('No archived messages.');
  } else {
    output.out(formatTable(COLUMNS, entries));
  }
  return 0;
}

export interface ArchiveRedriveCommandOptions {
  readonly json: boolean;
  readonly route?: string;
  readonly ids?: readonly string[];
  readonly rate?: number;
}

/** `gd redrive --from-archive`: archived messages back to their delivery queue with their ids. */
export async function archiveRedriveCommand(
  stack: StackTarget,
  options: ArchiveRedriveCommandOptions,
  output: Output,
): Promise<number> {
  const archive = requireArchive(stack);
  const results = [];
  for (const route of selectRoutes(stack, options.route)) {
    const progress = progressReporter(output, `redriven from the archive (${route.name})`);
    try {
      const outcome = await redriveFromArchive(stack.sqs, archive, route, {
        ...(options.ids ? { ids: options.ids } : {}),
        ...(options.rate === undefined ? {} : { ratePerSecond: options.rate }),
        onProgress: (update) => progress.update(update),
      });
      results.push({ route: route.name, ...outcome });
    } finally {
      progress.end();
    }
  }
  if (options.json) {
    printJson(output, { routes: results });
  } else {
    for (const result of results) {
      output.out(
        `${result.route}: moved ${result.moved} archived message(s) back to the delivery queue` +
          (result.failed > 0 ? `; ${result.failed} stayed in the archive` : '') +
          (result.notFound.length > 0 ? `; not in the archive: ${result.notFound.join(', ')}` : ''),
      );
      for (const error of result.errors) output.err(`  ${error}`);
    }
  }
  return results.some((result) => result.failed > 0) ? 1 : 0;
}
