/**
 * The shipped stages as offline tools load them (config/<stage>.json over the defaults; the
 * provider values a stage leaves unset are lib/config's OFFLINE_VALUES). Tests compare the
 * synthesized stack with these, never with numbers of their own.
 */
import { loadStageConfig, type StageSettingsInput, type TxconfirmConfig } from '../../lib/config';

export const dev: TxconfirmConfig = loadStageConfig({ stage: 'dev', offline: true });
export const prod: TxconfirmConfig = loadStageConfig({ stage: 'prod', offline: true });

/** The dev stage with `overrides` applied (validated like any other source). */
export function devWith(overrides: Partial<StageSettingsInput>): TxconfirmConfig {
  return loadStageConfig({ stage: 'dev', offline: true, overrides });
}
