// Log level and debug sampling by stage: every function gets the stage's settings.
import { loadStageConfig } from '../../lib/config';
import { dev } from '../support/stages';
import { testStack } from '../support/template';
import { synthStage } from './synth';

describe('log level by stage', () => {
  it('dev functions log at the dev level with the dev sample rate', () => {
    const functions = Object.values(testStack().definition.functionsByArn);
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.environment.POWERTOOLS_LOG_LEVEL).toBe(dev.logLevel);
      expect(fn.environment.POWERTOOLS_LOGGER_SAMPLE_RATE).toBe(String(dev.debugLogSampleRate));
    }
  });

  it('prod functions log at INFO and sample 1% of invocations at DEBUG', () => {
    const { json } = synthStage('prod');
    const envs = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Environment as { Variables: Record<string, string> }).Variables);
    expect(envs).toHaveLength(5);
    for (const env of envs) {
      expect(env.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(env.POWERTOOLS_LOGGER_SAMPLE_RATE).toBe('0.01');
    }
  });

  it('rejects an unknown level and a sample rate outside 0..1, naming them', () => {
    const load = (overrides: Record<string, unknown>) => () =>
      loadStageConfig({ stage: 'dev', offline: true, overrides });
    expect(load({ logLevel: 'LOUD' })).toThrow(
      /logLevel must be one of DEBUG, INFO, WARN, ERROR, got "LOUD"/,
    );
    expect(load({ debugLogSampleRate: 2 })).toThrow(/debugLogSampleRate/);
  });
});
