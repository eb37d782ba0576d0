/**
 * Where a stage's settings come from, lowest precedence first:
 *
 *   1. the schema's defaults, and the profile's (`production: true|false`) — lib/config/settings.ts;
 *   2. the stage's file, `config/<stage>.json` (or the file `-c configFile=<path>` names);
 *   3. CDK context: a setting's name as a context key, from cdk.json's "context" or `-c name=value`
 *      (the CDK CLI lets `-c` win over cdk.json);
 *   4. overrides of a tool (the local runtime's options; never used by `cdk synth`).
 *
 * A stage needs no TypeScript: a file, or context alone, defines it. Values given with `-c` are
 * strings; each is read as the setting's type (a number, true/false, JSON, or for alarmEmails a
 * comma-separated list). A file or context key that is not a setting is an error naming the
 * nearest setting; unknown context keys far from every setting are left to CDK (its own keys).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { InvalidConfigurationError } from '../validation';
import {
  SETTING_NAMES,
  STAGE_NAME_PATTERN,
  type StageSettingsInput,
  type TxconfirmConfig,
  stageSettingsSchema,
} from './settings';
import { closest, validateConfig } from './validate';

/** The project's stage files. */
export const CONFIG_DIR = path.resolve(__dirname, '..', '..', 'config');
/** The default stage of `cdk synth`, `npm start` and the tests. */
export const DEFAULT_STAGE = 'dev';
/** Context keys that are not settings. */
const CONTROL_KEYS = new Set(['stage', 'configFile']);

/**
 * What offline tools (npm start, txc local serve, the tests, npm run cost, the diagrams) use for the
 * settings with no safe default when a stage does not set them: nothing is deployed, and the local
 * runtime points the handlers at its loopback provider and Secrets Manager anyway. `.invalid`
 * never resolves (RFC 6761), so this URL cannot reach anyone.
 */
export const OFFLINE_VALUES = {
  providerBaseUrl: 'https://provider.offline.invalid',
  providerSecret: 'txconfirm/offline/provider-api-key',
} as const;

export interface LoadStageOptions {
  /** @default 'dev' */
  readonly stage?: string;
  /** CDK context (cdk.json and -c), e.g. `app.node.getAllContext()`. @default {} */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Where stage files live. @default config/ of the project */
  readonly configDir?: string;
  /** A tool that deploys nothing: OFFLINE_VALUES fill what the stage leaves unset. */
  readonly offline?: boolean;
  /** Settings a tool sets over every source (the local runtime's options). */
  readonly overrides?: Partial<StageSettingsInput>;
}

/** The validated config of a stage, from its file, the context and the defaults (above). */
export function loadStageConfig(options: LoadStageOptions = {}): TxconfirmConfig {
  const context = options.context ?? {};
  const stage = String(options.stage ?? context.stage ?? DEFAULT_STAGE);
  const configDir = options.configDir ?? CONFIG_DIR;
  const problems: string[] = [];
  const sources = new Map<string, string>();
  const settings: Record<string, unknown> = {};
  const take = (values: Record<string, unknown>, source: string) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      settings[key] = value;
      sources.set(key, source);
    }
  };

  if (options.offline) take(OFFLINE_VALUES, 'the offline defaults');
  const file = stageFile(stage, configDir, context.configFile, problems);
  if (file) take(readStageFile(file, problems), relative(file));
  take(contextSettings(context, problems), '-c / cdk.json context');
  if (options.overrides) take(options.overrides, 'the tool options');
  if (problems.length > 0) throw new InvalidConfigurationError(problems);

  const fileHint = relative(file ?? path.join(configDir, `${stage}.json`));
  return validateConfig(stage, settings, {
    offline: options.offline,
    sourceOf: (setting) => sources.get(setting),
    howToSet: (setting, example) =>
      `add "${setting}": ${example} to ${fileHint}, or pass -c ${setting}=… to cdk`,
  });
}

/** The stages that have a file in config/ (a stage may also be defined by context alone). */
export function stagesWithFiles(configDir = CONFIG_DIR): string[] {
  if (!fs.existsSync(configDir)) return [];
  return fs
    .readdirSync(configDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .filter((name) => STAGE_NAME_PATTERN.test(name))
    .sort();
}

function relative(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

function stageFile(
  stage: string,
  configDir: string,
  configFile: unknown,
  problems: string[],
): string | undefined {
  if (configFile !== undefined) {
    const file = path.resolve(String(configFile));
    if (!fs.existsSync(file))
      problems.push(`configFile ${JSON.stringify(configFile)} does not exist`);
    return fs.existsSync(file) ? file : undefined;
  }
  // Only a valid stage name becomes a path (no "../" through -c stage=...).
  if (!STAGE_NAME_PATTERN.test(stage)) return undefined;
  const file = path.join(configDir, `${stage}.json`);
  return fs.existsSync(file) ? file : undefined;
}

function readStageFile(file: string, problems: string[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`${relative(file)} is not valid JSON: ${(error as Error).message}`);
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(
      `${relative(file)} must hold one JSON object of settings, got ${JSON.stringify(value)}`,
    );
    return {};
  }
  // "$schema" lets an editor help; it is not a setting.
  const settings = { ...(value as Record<string, unknown>) };
  delete settings.$schema;
  return settings;
}

/** JSON Schema types of the settings, to read `-c` strings as what each setting is. */
const SETTING_TYPES: Readonly<Record<string, string | undefined>> = (() => {
  const schema = z.toJSONSchema(stageSettingsSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, { type?: string; anyOf?: { type?: string }[] }>;
  };
  return Object.fromEntries(
    Object.entries(schema.properties).map(([name, property]) => [
      name,
      property.type ?? property.anyOf?.find((option) => option.type)?.type,
    ]),
  );
})();

function contextSettings(
  context: Readonly<Record<string, unknown>>,
  problems: string[],
): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (CONTROL_KEYS.has(key)) continue;
    if (!(SETTING_NAMES as string[]).includes(key)) {
      // CDK's own keys ("@aws-cdk/...", "aws:cdk:...") are far from every setting name.
      const guess = /[:/@]/.test(key) ? undefined : closest(key, SETTING_NAMES);
      if (guess)
        problems.push(
          `unknown setting ${JSON.stringify(key)} in the CDK context (did you mean ${guess}?)`,
        );
      continue;
    }
    settings[key] = typeof value === 'string' ? fromContextString(key, value) : value;
  }
  return settings;
}

/** A `-c name=value` string as the setting's type; left as is when it does not read (the schema says why). */
function fromContextString(name: string, value: string): unknown {
  const type = SETTING_TYPES[name];
  if (type === 'string' || type === undefined) return value;
  if (name === 'alarmEmails' && !value.trim().startsWith('[')) {
    return value
      .split(',')
      .map((email) => email.trim())
      .filter(Boolean);
  }
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
