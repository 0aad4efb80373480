/** What scanUtxo.bench.ts asks of one scanUtxoWorker.ts process (JSON in the SCAN_UTXO_JOB variable). */
export type ScanUtxoJob = {
  /** Names the run in the output, e.g. `100k`. */
  readonly label: string;
  /** The private litecoind, `http://user:password@host:port`. */
  readonly rpcUrl: string;
  readonly mysqlUrl: string;
  /** The registry chain id (`ltc`), also the `chain` of the watched addresses' rows. */
  readonly chain: string;
  /** The preloaded block range (inclusive) and its transaction count. */
  readonly first: number;
  readonly last: number;
  readonly txs: number;
  readonly expectedDeposits: number;
  /** Sum of the expected deposits' amounts in satoshi, a decimal string. */
  readonly expectedAmount: string;
  /** Writes a V8 CPU profile of the scanner pass only (`<label>-scanner.cpuprofile`) into this folder. */
  readonly cpuProfileDir?: string;
};

/** One timed pass over the preloaded blocks. `cores` is this process's CPU time (all threads) over wall time. */
export type UtxoPassFigures = {
  readonly seconds: number;
  readonly blocksPerSecond: number;
  readonly txsPerSecond: number;
  readonly cores: number;
};

/** What the worker prints as its one line of stdout. Sizes in MB of 10^6 bytes, the unit of the goals. */
export type ScanUtxoResult = {
  readonly label: string;
  readonly startRssMB: number;
  readonly watchedSet: { readonly size: number; readonly loadSeconds: number; readonly heapMB: number; readonly rssAfterLoadMB: number };
  /** getblockhash + getblock <hash> 0, 8 in flight, hex decoded to bytes and dropped: the node's limit. */
  readonly rawVerbosity0: UtxoPassFigures & { readonly bytesPerBlock: number };
  /** getblockhash + getblock <hash> 2, 8 in flight, JSON parsed and every output's address looked up. */
  readonly verbosity2: UtxoPassFigures & { readonly matched: number };
  readonly scanner: UtxoPassFigures & {
    readonly peakRssMB: number;
    readonly peakHeapUsedMB: number;
    readonly depositsStored: number;
    readonly depositsMatch: boolean;
    readonly windows: number;
    readonly cpuProfile: string | null;
  };
  /** The worker's peak RSS up to the end of the scanner pass (before the verbosity-2 loop): the scanner process's figure. */
  readonly maxRssThroughScannerMB: number;
  readonly maxRssMB: number;
};
