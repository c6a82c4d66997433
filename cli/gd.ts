import { runCli } from './cli.js';
import { processOutput } from './output.js';

/** Entry of `npx gd` (through bin/gd.js): runs one command and exits with its code. */
process.exitCode = await runCli(process.argv.slice(2), { env: process.env, output: processOutput() });
