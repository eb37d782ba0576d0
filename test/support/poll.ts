// Polling for tests that watch something asynchronous (an execution, a served child process).

/**
 * Reads until `done` holds and returns that value; fails after `ms` with the last value read, so
 * a test that waits for a state it never reaches says what it saw.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not done in time: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
