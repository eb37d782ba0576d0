// The error a call fails with, for tests of SDK calls and other promises that must reject.

/** What `call` rejects with (an SDK exception carries `$metadata`); fails the test if it resolves. */
export async function rejection(
  call: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, it succeeded');
}
