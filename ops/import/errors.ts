/**
 * Named errors of `txc import` that stop a whole import (a row's problem is a rejected row in the
 * report instead). Each stops after the writes in flight: what was written stays, and a re-run of
 * the corrected file finishes the rest (docs/migration.md).
 */
import { NamedError } from '../errors';

/** The file is not there, is a folder, or cannot be read. */
export class ImportFileUnreadable extends NamedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ImportFileUnreadable', message, options);
  }
}

/** The file is UTF-16/UTF-32 (a byte order mark or NUL bytes), or not valid UTF-8 at some line. */
export class InvalidEncoding extends NamedError {
  constructor(message: string) {
    super('InvalidEncoding', message);
  }
}

/** The CSV cannot be read on from some line (an unclosed or stray quote, a record too large). */
export class MalformedCsv extends NamedError {
  constructor(message: string) {
    super('MalformedCsv', message);
  }
}

/** The CSV header lacks a column the mapping needs, or names one twice. */
export class MissingColumn extends NamedError {
  constructor(message: string) {
    super('MissingColumn', message);
  }
}

/** The mapping (file or flags) is not valid. Exit code 2: nothing was read. */
export class InvalidMapping extends NamedError {
  constructor(message: string) {
    super('InvalidMapping', message);
  }
}

/** The store failed a write after the retries (throttling that never eased, a lost connection). */
export class ImportWriteFailed extends NamedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ImportWriteFailed', message, options);
  }
}
