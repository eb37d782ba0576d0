// A local runtime with its Step Functions endpoint and a real SFNClient on it, for the endpoint's
// test files (sfn-endpoint*.test.ts): started once per file, closed after it.
import { SFNClient } from '@aws-sdk/client-sfn';
import { type SfnEndpoint, startSfnEndpoint } from '../../local/aws/sfn-endpoint';
import { LocalRuntime } from '../../local/runtime/local-runtime';

export interface SfnFixture {
  readonly runtime: LocalRuntime;
  readonly endpoint: SfnEndpoint;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
}

/** Starts the runtime (retries at once, a provider that always confirms) and its endpoint. */
export async function startSfnFixture(): Promise<SfnFixture> {
  const runtime = await LocalRuntime.start({
    retryIntervalScale: 0,
    isolateModules: (load) => jest.isolateModules(load),
    provider: { latencyMs: 0, rejectionRate: 0 },
  });
  const endpoint = await startSfnEndpoint({ runtime });
  const sfn = new SFNClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'anything', secretAccessKey: 'anything' },
  });
  return { runtime, endpoint, sfn, stateMachineArn: runtime.engine.stateMachineArn };
}

/** Closes what startSfnFixture started (what a failed start left undefined is skipped). */
export async function stopSfnFixture(fixture: Partial<SfnFixture>): Promise<void> {
  fixture.sfn?.destroy();
  await fixture.endpoint?.stop();
  await fixture.runtime?.close();
}
