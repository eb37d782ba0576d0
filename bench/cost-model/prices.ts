/**
 * What the template cannot say: list prices ({@link PRICES}), sizes and durations
 * ({@link ASSUMPTIONS}), and the DynamoDB and S3 calls each step makes ({@link DYNAMODB_CALLS},
 * {@link S3_CALLS}).
 */
import type { Architecture } from './types';

// ---- the one price table -----------------------------------------------------------------------

/**
 * List prices in USD, us-east-1, on-demand, free tiers ignored. The ones docs/architecture.md §10 gives are
 * marked so; the others are the published us-east-1 list prices at the time of writing — an
 * assumption to check against https://aws.amazon.com/<service>/pricing before quoting a number.
 */
export const PRICES = {
  region: 'us-east-1',
  stepFunctions: {
    /** Standard workflows, per state transition ($0.025 per 1,000; docs/architecture.md §10). */
    standardTransition: 0.025 / 1_000,
    /** Express workflows, per request = per execution started ($1.00 per million; docs/architecture.md §10). */
    expressRequest: 1.0 / 1_000_000,
    /**
     * Express duration per GB-second: $0.06 per GB-hour, the first tier (first 1,000 GB-hours a
     * month; $0.03 and $0.01642 beyond). ASSUMPTION: us-east-1 list price, not in docs/architecture.md.
     */
    expressGbSecond: 0.06 / 3_600,
    /** Express memory is billed in 64 MB steps of (50 MB + definition + payload). */
    expressMemoryStepMb: 64,
    expressBaseMemoryMb: 50,
    /** Express duration is rounded up to 100 ms. */
    expressDurationStepMs: 100,
  },
  lambda: {
    /** Per request ($0.20 per million; docs/architecture.md §10). */
    request: 0.2 / 1_000_000,
    /**
     * Per GB-second, first tier (first 7.5 / 6 billion GB-s a month). ASSUMPTION: us-east-1 list
     * prices, not in docs/architecture.md; arm64 is 20% below x86_64.
     */
    gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 } as Record<Architecture, number>,
    /** Duration is billed per 1 ms. */
    durationStepMs: 1,
  },
  dynamodb: {
    /** On-demand write request unit ($0.625 per million; docs/architecture.md §10). */
    writeUnit: 0.625 / 1_000_000,
    /** On-demand read request unit ($0.125 per million; docs/architecture.md §10). */
    readUnit: 0.125 / 1_000_000,
    /** One WRU writes up to 1 KB; one RRU reads up to 4 KB strongly consistent, or twice that eventually consistent. */
    writeUnitBytes: 1_024,
    readUnitBytes: 4_096,
    /** DynamoDB counts this much on top of the keys for each index entry. */
    indexEntryOverheadBytes: 100,
  },
  /**
   * The page manifests (lib/page-manifest-bucket.ts), S3 Standard. ASSUMPTION: us-east-1 list prices
   * at the time of writing, not in docs/architecture.md (https://aws.amazon.com/s3/pricing/).
   * DeleteObject is free; a manifest lives for seconds, so its storage is left out.
   */
  s3: {
    /** PutObject, per request ($0.005 per 1,000). */
    putRequest: 0.005 / 1_000,
    /** GetObject, per request ($0.0004 per 1,000). */
    getRequest: 0.0004 / 1_000,
  },
  /**
   * The stage's network with `vpc: true` (lib/network.ts). ASSUMPTION: us-east-1 list prices at the
   * time of writing, not in docs/architecture.md (https://aws.amazon.com/vpc/pricing/,
   * https://aws.amazon.com/privatelink/pricing/). The DynamoDB gateway endpoint costs nothing.
   */
  vpc: {
    /** A NAT gateway, per hour it exists ($0.045). */
    natGatewayHour: 0.045,
    /** Data a NAT gateway processes, per GB ($0.045). */
    natGatewayGb: 0.045,
    /** An interface endpoint, per availability zone it is in, per hour ($0.01). */
    interfaceEndpointAzHour: 0.01,
    /** Data an interface endpoint processes, per GB ($0.01, the first PB a month). */
    interfaceEndpointGb: 0.01,
    /** Billing GB: 2^30 bytes. */
    gbBytes: 2 ** 30,
    /** Hours in a month, as AWS prices monthly figures. */
    hoursPerMonth: 730,
  },
};

export type Prices = typeof PRICES;

// ---- what the template cannot say ---------------------------------------------------------------

export interface Assumptions {
  readonly transactionItemBytes: number;
  readonly transactionIdBytes: number;
  readonly createdAtBytes: number;
  readonly runsItemBytes: number;
  readonly providerCallOverheadMs: number;
  readonly batchFixedMs: number;
  readonly childStartMs: number;
  readonly mapRunOverheadMs: number;
  readonly continueAsNewMs: number;
  /** Billed duration of each handler but confirm-batch (whose duration is modelled), by handler name. */
  readonly handlerMs: Readonly<Record<string, number>>;
  readonly fetchPageMsPerThousandIds: number;
  /** With a VPC: bytes one provider call moves through a NAT gateway, both ways. */
  readonly providerCallBytes: number;
  /** With a VPC: bytes one Secrets Manager GetSecretValue moves (TLS handshake included). */
  readonly secretReadBytes: number;
}

/**
 * Sizes and durations the model assumes (warm functions in us-east-1, happy path: no retries, no
 * cold starts, no provider errors). Change them here; docs/performance.md lists them.
 */
export const ASSUMPTIONS: Assumptions = {
  /** A stored transaction before and after its terminal update (all attributes, names included): ≤ 1 KB. */
  transactionItemBytes: 600,
  /** A transaction id (a UUID). */
  transactionIdBytes: 36,
  /** `createdAt`, ISO-8601 with milliseconds. */
  createdAtBytes: 24,
  /** The lock item and a run record (totals included): ≤ 1 KB. */
  runsItemBytes: 700,
  /** Per provider call, beyond the provider's latency: the conditional UpdateItem, classification, a log line. */
  providerCallOverheadMs: 10,
  /** Per confirm-batch invocation: the strongly consistent BatchGetItem, handler set-up, metrics flush. */
  batchFixedMs: 25,
  /** Starting a child execution and its lambda:invoke; counted in an Express child's duration. */
  childStartMs: 40,
  /** Step Functions' own time per page: the Map Run's start and end, the Choice. */
  mapRunOverheadMs: 500,
  /** ContinueAsNew: StartExecution and the new execution's first state. */
  continueAsNewMs: 1_000,
  /** Billed durations of the control functions (fetch-page's for an empty page; see below). */
  handlerMs: { 'start-run': 60, 'fetch-page': 120, 'finish-run': 60 },
  /**
   * fetch-page, per 1,000 ids of a page: the pending-index Query pages (1 MB each) and the
   * manifest's PutObject (~45 B per id).
   */
  fetchPageMsPerThousandIds: 15,
  /**
   * Request (headers with the bearer key, idempotency key and trace header, a ~100 B body) and
   * response, with TCP/TLS framing on a kept-alive connection: ~1.5 KB.
   */
  providerCallBytes: 1_500,
  /** A fresh TLS connection (certificate chain) and the request and response: ~8 KB. */
  secretReadBytes: 8_000,
};

/**
 * DynamoDB calls per step, read from the handler code (the template cannot say this). Each counts
 * units by the item sizes in {@link ASSUMPTIONS}.
 */
export const DYNAMODB_CALLS = {
  /** start-run, new run: PutItem lock (conditional) + PutItem run record (DynamoRunStore.acquireLock, putRun). */
  runStartWrites: 2,
  /** start-run after ContinueAsNew: UpdateItem lock handover + UpdateItem run record. */
  resumeWrites: 2,
  /** fetch-page, every invocation: UpdateItem lease renewal (DynamoRunStore.renewLock). */
  fetchPageWrites: 1,
  /** finish-run: DeleteItem lock + UpdateItem run record. */
  finishWrites: 2,
  /** confirm-batch, per transaction: one strongly consistent BatchGetItem read (getMany). */
  transactionReads: 1,
  /** confirm-batch, per transaction: one conditional UpdateItem (write) ... */
  transactionWrites: 1,
  /** ... that REMOVEs pendingShard, which deletes the pending-index entry: an index write. */
  indexWrites: 1,
} as const;

/** S3 requests per page, read from the handler code and the ASL (the page manifests). */
export const S3_CALLS = {
  /** fetch-page: PutObject of the page's manifest (and a free DeleteObject at the next page). */
  manifestPuts: 1,
  /** ConfirmPage's ItemReader: GetObject of the manifest. */
  manifestGets: 1,
} as const;
