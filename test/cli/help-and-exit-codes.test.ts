import { describe, expect, it } from 'vitest';
import { type OpenStack, runCli, type StackSelection } from '../../cli/cli.js';
import { OperationFailedError } from '../../cli/errors.js';
import { memoryOutput } from '../../cli/output.js';

const COMMANDS = [
  'status',
  'dlq list',
  'dlq show',
  'redrive',
  'keep-trying',
  'drain',
  'pause',
  'resume',
  'send',
];

/**
 * Runs `gd` in-process with a stack opener that records what it was asked for and fails: these
 * command lines must be answered (help, usage errors) before any stack is opened, or show what
 * selection reached the opener.
 */
async function gd(argv: readonly string[]) {
  const memory = memoryOutput();
  const selections: StackSelection[] = [];
  const openStack: OpenStack = async (selection) => {
    selections.push(selection);
    throw new OperationFailedError('no stack in this test');
  };
  const code = await runCli(argv, { env: {}, output: memory.output, openStack });
  return { code, out: memory.stdout(), err: memory.lines.err.join('\n'), selections };
}

describe('gd help and exit codes', () => {
  it('prints the overview for --help with every command and the global options, exit 0', async () => {
    // Act
    const result = await gd(['--help']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    const lines = result.out.split('\n');
    expect(lines[0]).toBe('gd — operate a guaranteed-delivery stack (deployed on AWS, or the local one)');
    expect(lines).toContain('Usage: gd <command> [options]');
    for (const name of COMMANDS) expect(result.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(result.out).toContain('  --stack NAME   deployed stack to work on (default GuaranteedDelivery)');
    expect(result.out).toContain('  -h, --help     this help');
    expect(lines.at(-1)).toBe(
      'Exit codes: 0 ok, 1 the operation failed, 2 usage error. `gd <command> --help` for details.',
    );
    expect(result.selections).toEqual([]);
  });

  it('rejects a bare gd with the overview on stdout and exit code 2', async () => {
    // Act
    const [bare, help] = await Promise.all([gd([]), gd(['-h'])]);

    // Assess
    expect(bare.code).toBe(2);
    expect(bare.out).toBe(help.out);
    expect(help.code).toBe(0);
  });

  it("prints each command's help with its usage line, exit 0, without opening a stack", async () => {
    // Act
    const results = await Promise.all(COMMANDS.map((name) => gd([...name.split(' '), '--help'])));

    // Assess
    results.forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(result.out.split('\n')[0]).toMatch(new RegExp(`^Usage: gd ${COMMANDS[i]}( |$)`));
      expect(result.out).toContain('Options for every command:');
      expect(result.selections).toEqual([]);
    });
  });

  it('keeps the help text of a command as operators know it', async () => {
    // Act
    const result = await gd(['dlq', 'list', '--help']);

    // Assess
    expect(result.out).toBe(`Usage: gd dlq list [--route R] [--limit N] [--json]

dead letters with their id, attempts, last status and reason

  --route R   only this route's DLQ
  --limit N   at most N dead letters (1-1000, default 20)
Peeks without consuming; each listed message's receive count goes up by one.

Options for every command:
  --stack NAME   deployed stack to work on (default GuaranteedDelivery)
  --local        the local stack (npm start) instead; the default when AWS_ENDPOINT_URL is set
  --region R     AWS region of the deployed stack (default: AWS_REGION / the profile's)
  --json         print one JSON document for scripts instead of text
  -h, --help     this help`);
  });

  it('rejects bad command lines with exit code 2 before opening a stack', async () => {
    // Act
    const results = await Promise.all([
      gd(['dlq', 'frob']),
      gd(['status', 'extra']),
      gd(['dlq', 'show', 'a', 'b']),
      gd(['dlq', 'list', '--limit', '0']),
      gd(['keep-trying', '--max-rounds', '1e1']),
      gd(['status', '--route']),
      gd(['--frob']),
      gd(['help']),
    ]);

    // Assess
    expect(results.map((result) => result.err)).toEqual([
      'gd: dlq needs a subcommand: list or show; see gd --help',
      "gd: unexpected argument 'extra'; see gd status --help",
      'gd: dlq show takes one message id: gd dlq show <id>',
      "gd: --limit must be a whole number from 1 to 1000, got '0'",
      "gd: --max-rounds must be a whole number from 1 to 100, got '1e1'",
      "gd: Option '--route <R>' argument missing; see gd status --help",
      "gd: Unknown option '--frob'; see gd --help",
      "gd: unknown command 'help'; see gd --help",
    ]);
    expect(results.map((result) => result.code)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    expect(results.flatMap((result) => result.selections)).toEqual([]);
  });

  it("rejects a missing message id in the command's own words, before opening a stack", async () => {
    // Act
    const results = await Promise.all([gd(['dlq', 'show']), gd(['message', '--route', 'catering'])]);

    // Assess
    expect(results.map((result) => result.err)).toEqual([
      'gd: dlq show takes one message id: gd dlq show <id>',
      'gd: message takes one message id: gd message <id>',
    ]);
    expect(results.map((result) => result.code)).toEqual([2, 2]);
    expect(results.flatMap((result) => result.selections)).toEqual([]);
  });

  it('takes the global options before or after the command, and exits 1 when the operation fails', async () => {
    // Act
    const [after, before] = await Promise.all([
      gd(['status', '--json', '--stack', 'Other', '--region', 'eu-west-1']),
      gd(['--local', 'dlq', 'list', '--route', 'catering']),
    ]);

    // Assess
    expect(after.selections).toEqual([{ stack: 'Other', local: false, region: 'eu-west-1' }]);
    expect(before.selections).toEqual([{ stack: undefined, local: true, region: undefined }]);
    expect([after.code, before.code]).toEqual([1, 1]);
    expect(after.err).toBe('gd: no stack in this test');
  });
});
