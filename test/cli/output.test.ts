import { describe, expect, it } from 'vitest';
import { formatDuration, formatTable, memoryOutput } from '../../cli/output.js';
import { progressReporter, renderProgressBar } from '../../cli/progress-bar.js';

describe('gd output helpers', () => {
  it('formats ages compactly', () => {
    // Act
    const ages = [undefined, 0, 59.6, 95, 3_600 + 120, 2 * 86_400 + 3 * 3_600].map(formatDuration);

    // Assess
    expect(ages).toEqual(['-', '0s', '1m00s', '1m35s', '1h02m', '2d03h']);
  });

  it('pads table columns and right-aligns numbers', () => {
    // Act
    const table = formatTable(
      [
        { header: 'ROUTE', value: (row: { name: string; n: number }) => row.name },
        { header: 'N', value: (row) => row.n, align: 'right' },
      ],
      [
        { name: 'catering', n: 12 },
        { name: 'x', n: 3 },
      ],
    );

    // Assess
    expect(table).toBe(['ROUTE      N', 'catering  12', 'x          3'].join('\n'));
  });

  it('draws a progress bar on a terminal only', () => {
    // Prepare
    const terminal = memoryOutput({ interactive: true });
    const pipe = memoryOutput({ interactive: false });

    // Act
    for (const output of [terminal.output, pipe.output]) {
      const progress = progressReporter(output, 'moved');
      progress.update({ done: 5, total: 5 });
      progress.end();
    }

    // Assess
    expect(terminal.lines.progress).toEqual(['[##############################] 5/5 moved']);
    expect(pipe.lines.progress).toEqual([]);
    expect(renderProgressBar({ done: 7 }, 'moved')).toBe('7 moved');
  });
});
