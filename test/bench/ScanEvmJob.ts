/** What scanEvm.bench.ts asks of one scanEvmWorker.ts process (JSON in the SCAN_EVM_JOB variable). */
export type ScanEvmJob = {
  /** Names the run in the output, e.g. `100k`. */
  readonly label: string;
  readonly rpcUrl: string;
  readonly mysqlUrl: string;
  /** The registry chain id, also the `chain` of the watched addresses' rows. */
  readonly chain: string;
  /** The registry asset id of the token, and its contract. */
  readonly tokenAsset: string;
  readonly token: string;
  /** The preloaded block range (inclusive) and its transaction count. */
  readonly first: number;
  readonly last: number;
  readonly txs: number;
  readonly expectedDeposits: number;
  /** Per asset id: the sum of the expected deposits' amounts, base units as a decimal string. */
  readonly expectedAmounts: Readonly<Record<string, string>>;
  /** Writes a V8 CPU profile of the scanner pass only (`<label>-scanner.cpuprofile`) into this folder. */
  readonly cpuProfileDir?: string;
};

/** One timed pass over the preloaded blocks. `cores` is process CPU time (all threads) over wall time. */
export type PassFigures = {
  readonly seconds: number;
  readonly blocksPerSecond: number;
  readonly txsPerSecond: number;
  readonly cores: number;
};

/** What the worker prints as its one line of stdout. Sizes in MB of 10^6 bytes, the unit of the goals. */
export type ScanEvmResult = {
  readonly label: string;
  /** The process after its imports, before it connects to anything: what every figure below starts from. */
  readonly startRssMB: number;
  readonly startHeapUsedMB: number;
  readonly watchedSet: {
    readonly size: number;
    readonly loadSeconds: number;
    /** Heap retained by the loaded set (heapUsed after a full GC, minus the same before it was loaded). */
    readonly heapMB: number;
    readonly externalMB: number;
    readonly bytesPerAddress: number;
    readonly rssAfterLoadMB: number;
  };
  /** The minimal loop, before and after the other passes (anvil and the machine drift: both are shown). */
  /** The raw loop one block at a time, for reference. */
  readonly rawSequential: PassFigures & { readonly bytesPerBlock: number };
  /** The raw loop with the scanner's fetch concurrency, before and after the scanner ran. */
  readonly rawBefore: PassFigures & { readonly bytesPerBlock: number };
  readonly rawAfter: PassFigures & { readonly bytesPerBlock: number };
  /** adapter.scanBlock alone, nothing stored: separates the fetch-and-validate cost from the database's. */
  readonly adapterOnly: PassFigures & { readonly transfers: number };
  readonly scanner: PassFigures & {
    readonly peakRssMB: number;
    readonly peakHeapUsedMB: number;
    /** heapUsed after a full GC once the last block is stored. */
    readonly liveHeapAfterScanMB: number;
    readonly depositsStepped: number;
    readonly depositsStored: number;
    /** Stored deposits match the expected ones in count and, per asset, in the sum of amounts. */
    readonly depositsMatch: boolean;
    readonly cpuProfile: string | null;
  };
  /** The process's lifetime peak RSS (getrusage), loading the watched set included. */
  readonly maxRssMB: number;
};
