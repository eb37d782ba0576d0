/**
 * Seeding the store at start, for `npm start` and `txc local serve`: the rows of `--import FILE`
 * (local/runtime/import-file.ts), or `--transactions N` demo transactions, with the start-up
 * status line counting.
 */
import { importIntoRuntime } from '../runtime/import-file';
import type { LocalRuntime } from '../runtime/local-runtime';
import type { StatusLine } from './status-line';

export interface SeedOptions {
  readonly importFile?: string;
  readonly transactions: number;
}

/** Seeds the store; returns how many transactions were written. */
export async function seedStore(
  runtime: LocalRuntime,
  { importFile, transactions }: SeedOptions,
  status: StatusLine,
): Promise<number> {
  if (importFile !== undefined) {
    status.phase(`importing ${importFile}`);
    const summary = await importIntoRuntime(runtime, importFile, (read) =>
      status.progress(`${read.toLocaleString('en-US')} rows`),
    );
    return summary.imported;
  }
  if (transactions > 0) {
    const total = transactions.toLocaleString('en-US');
    status.phase(`seeding ${total} demo transactions`);
    await runtime.seedTransactions(transactions, new Date(), (written) =>
      status.progress(`${written.toLocaleString('en-US')}/${total}`),
    );
  }
  return transactions;
}
