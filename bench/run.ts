import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type EmbeddedAwsEndpoint, startMotoServer } from '../local/moto-server.js';
import { benchClaimAndSend } from './claim-and-send.js';
import { benchColdStart } from './cold-start.js';
import type { BenchContext } from './context.js';
import { estimateCost } from './cost.js';
import { benchDrain } from './drain.js';
import { benchFailover } from './failover.js';
import { benchForwarder } from './forwarder.js';
import { benchIngest } from './ingest.js';
import {
  benchLargePayloads,
  LARGE_PAYLOAD_SIZES,
  payloadCosts,
  renderPayloadCostTable,
} from './large-payloads.js';
import { benchOrdering } from './ordering.js';
import { PRICES, PRICES_AS_OF, PRICES_REGION } from './prices.js';
import { type BenchResults, renderCostTable, renderTable } from './report.js';

/**
 * `npm run bench`: runs the nine figures against the local moto server it starts (or AWS_ENDPOINT_URL),
 * prints a Markdown table on stdout (progress on stderr) and writes bench/results/<timestamp>.json.
 *
 * Environment: BENCH_QUICK=1 (small counts, a smoke run), BENCH_ONLY=ingest,failover,drain,forwarder,
 * cold-start,ordering,claim-and-send,large-payloads (a subset; cost needs ingest, drain and forwarder), BENCH_DRAIN_ITEMS, BENCH_DRAIN_ROUNDS,
 * BENCH_SILENT_CAP_MS.
 */

/** The whole run stops itself after this, whatever hangs. */
const WATCHDOG_MS = 9.5 * 60_000;
const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');
const FIGURES = [
  'ingest',
  'failover',
  'drain',
  'forwarder',
  'cold-start',
  'ordering',
  'claim-and-send',
  'large-payloads',
] as const;

process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';

const started = new Date();
const t0 = performance.now();
const log = (message: string) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

const only = new Set((process.env.BENCH_ONLY ?? FIGURES.join(',')).split(',').map((s) => s.trim()));
const given = process.env.AWS_ENDPOINT_URL;
let moto: EmbeddedAwsEndpoint | undefined;

const watchdog = setTimeout(() => {
  log(`watchdog: still running after ${WATCHDOG_MS / 60_000} min; stopping`);
  void (moto?.stop() ?? Promise.resolve()).finally(() => process.exit(2));
}, WATCHDOG_MS);

// A run stopped from outside must not leave its moto_server behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void (moto?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const results: BenchResults = { errors: {} };
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  loadAverageAtStart: loadavg().map((n) => Number(n.toFixed(2))),
};

try {
  if (!given) {
    log('starting moto_server on 127.0.0.1');
    moto = await startMotoServer();
  }
  const endpoint = given ?? moto?.endpoint ?? '';
  log(`AWS endpoint: ${endpoint}${given ? ' (AWS_ENDPOINT_URL)' : ' (moto started for this run)'}`);
  const ctx: BenchContext = { endpoint, quick: process.env.BENCH_QUICK === '1', log };

  const figure = async <T>(name: (typeof FIGURES)[number], fn: () => Promise<T>): Promise<T | undefined> => {
    if (!only.has(name)) return undefined;
    const f0 = performance.now();
    log(`figure ${name}: start`);
    try {
      return await fn();
    } catch (error) {
      results.errors[name] = error instanceof Error ? error.message : String(error);
      log(`figure ${name}: FAILED ${results.errors[name]}`);
      return undefined;
    } finally {
      log(`figure ${name}: ${((performance.now() - f0) / 1000).toFixed(0)} s`);
    }
  };
  results.ingest = await figure('ingest', () => benchIngest(ctx));
  results.failover = await figure('failover', () => benchFailover(ctx));
  results.drain = await figure('drain', () => benchDrain(ctx));
  results.forwarder = await figure('forwarder', () => benchForwarder(ctx));
  results.coldStart = await figure('cold-start', () => benchColdStart(ctx));
  results.ordering = await figure('ordering', () => benchOrdering(ctx));
  results.claimAndSend = await figure('claim-and-send', () => benchClaimAndSend(ctx));
  results.largePayloads = await figure('large-payloads', () => benchLargePayloads(ctx));
  if (results.ingest && results.drain && results.forwarder) {
    results.cost = estimateCost(results.ingest, results.forwarder, results.drain);
  }
} catch (error) {
  results.errors.setup = error instanceof Error ? error.message : String(error);
} finally {
  await moto?.stop();
}
clearTimeout(watchdog);

const durationS = Number(((performance.now() - t0) / 1000).toFixed(1));
const table = renderTable(results);
const costTable =
  (results.cost
    ? `\n\nCost per million delivered (us-east-1, every promise on):\n\n${renderCostTable(results.cost)}`
    : '') +
  (results.largePayloads
    ? `\n\nAdded cost per million large messages (S3, us-east-1):\n\n${renderPayloadCostTable(payloadCosts(LARGE_PAYLOAD_SIZES))}`
    : '');
process.stdout.write(
  `\nBenchmarks ${started.toISOString()} — ${machine.nproc} cores, ${machine.memoryGiB} GiB, node ${machine.node}, ${durationS} s${isQuick() ? ' (BENCH_QUICK: indicative only)' : ''}\n\n${table}${costTable}\n\n`,
);
await mkdir(RESULTS_DIR, { recursive: true });
const file = join(
  RESULTS_DIR,
  `${started
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')}.json`,
);
await writeFile(
  file,
  `${JSON.stringify(
    {
      startedAt: started.toISOString(),
      durationS,
      quick: isQuick(),
      endpoint: given ? 'AWS_ENDPOINT_URL' : 'moto_server (started by the run)',
      machine: { ...machine, loadAverageAtEnd: loadavg().map((n) => Number(n.toFixed(2))) },
      prices: { asOf: PRICES_AS_OF, region: PRICES_REGION, ...PRICES },
      ...results,
      table,
    },
    null,
    2,
  )}\n`,
);
log(`results written to ${file}`);
process.exitCode = Object.keys(results.errors).length > 0 ? 1 : 0;

/** BENCH_QUICK=1: a smoke run with small counts. */
function isQuick(): boolean {
  return process.env.BENCH_QUICK === '1';
}
