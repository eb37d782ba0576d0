/**
 * Step Functions' 256 KiB limit on a state's data: an execution's input and output, a task's
 * result, a Distributed Map's output, a child's batch. Measured in UTF-8 bytes of the JSON text.
 */

/** 256 KiB (262,144 bytes). */
export const MAX_PAYLOAD_BYTES = 262_144;

/** The UTF-8 bytes of `text` when they are over the limit, else undefined. */
export function bytesOverLimit(text: string): number | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: shorter text cannot be over the limit.
  if (text.length <= MAX_PAYLOAD_BYTES / 3) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_PAYLOAD_BYTES ? bytes : undefined;
}

/** The bytes of `value`'s JSON text when they are over the limit, else undefined. */
export function jsonBytesOverLimit(value: unknown): number | undefined {
  return bytesOverLimit(JSON.stringify(value) ?? 'null');
}
