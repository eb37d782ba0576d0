/** commander argument parsers shared by `txc` (ops/) and `npm start` / `txc local serve` (local/). */
import { InvalidArgumentError } from 'commander';

/** An integer flag in min..max; the message names the flag and the value. */
export const integer =
  (flag: string, min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be an integer ${min}..${max}, got "${value}"`);
    }
    return n;
  };

/** A share 0..1. */
export const rate =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new InvalidArgumentError(`${flag} must be a number 0..1, got "${value}"`);
    }
    return n;
  };
