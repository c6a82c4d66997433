/** What every figure gets from the runner. */
export interface BenchContext {
  /** The AWS endpoint (moto started by the runner, or AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** Smaller counts for a quick smoke run (BENCH_QUICK=1); figures are then only indicative. */
  readonly quick: boolean;
  /** Progress output (stderr), so stdout keeps only the table. */
  log(message: string): void;
}
