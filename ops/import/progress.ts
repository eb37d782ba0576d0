/**
 * An import's live progress on stderr (cli-progress, as `npm start`'s bar): on a terminal a bar
 * over the file's bytes with rows read, imported, rejected, the rate and the ETA; elsewhere the
 * same line, plain, every 2 seconds.
 */
import { SingleBar } from 'cli-progress';
import type { ImportCounts } from './run-import';

export interface ImportProgress {
  update(counts: ImportCounts, bytesRead: number): void;
  stop(): void;
}

export const NO_PROGRESS: ImportProgress = { update: () => undefined, stop: () => undefined };

export function importProgress(
  totalBytes: number,
  stream: NodeJS.WritableStream = process.stderr,
): ImportProgress {
  const started = Date.now();
  const bar = new SingleBar({
    stream,
    format:
      'importing |{bar}| {percentage}% | read {read} | imported {imported} | rejected {rejected} | {rate} rows/s | ETA {eta_formatted}',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 2000,
    etaBuffer: 50,
  });
  const payload = (counts: ImportCounts) => {
    const seconds = (Date.now() - started) / 1000;
    return {
      read: counts.read.toLocaleString('en-US'),
      imported: counts.imported.toLocaleString('en-US'),
      rejected: counts.rejected.toLocaleString('en-US'),
      rate: seconds > 0 ? Math.round(counts.read / seconds).toLocaleString('en-US') : '0',
    };
  };
  let begun = false;
  return {
    update: (counts, bytesRead) => {
      if (!begun) {
        bar.start(Math.max(totalBytes, 1), 0, payload(counts));
        begun = true;
      }
      bar.update(Math.min(bytesRead, Math.max(totalBytes, 1)), payload(counts));
    },
    stop: () => {
      if (begun) bar.stop();
    },
  };
}
