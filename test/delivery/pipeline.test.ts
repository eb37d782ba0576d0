// azure-pipelines.yml (docs/architecture.md §9, docs/deploying.md): valid against Microsoft's Azure
// Pipelines schema, shaped as BuildAndTest → Synth → Diff → Approve → Deploy → Preflight →
// SmokeTest, on the Node LTS of .nvmrc, with each stage's configuration from config/<stage>.json
// and the variable group txconfirm-<stage>. The Synth stage's scripts are run here (bash, with a
// stand-in `npx cdk`), so what they pass to cdk and what they report is tested, not only read.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const PIPELINE_FILE = path.join(ROOT, 'azure-pipelines.yml');
const NVMRC_FILE = path.join(ROOT, '.nvmrc');
const SCHEMA_FILE = path.resolve(ROOT, '../shared/azure-pipelines/service-schema.json');

type Json = Record<string, unknown>;
interface Step extends Json {
  task?: string;
  script?: string;
  bash?: string;
  inputs?: Record<string, unknown>;
  condition?: string;
}
interface Job extends Json {
  job?: string;
  deployment?: string;
  pool?: unknown;
  environment?: unknown;
  steps?: Step[];
  strategy?: { runOnce?: Record<string, { steps?: Step[] }> };
}
interface Stage extends Json {
  stage: string;
  dependsOn?: string | string[];
  condition?: string;
  jobs: Job[];
}
interface Pipeline extends Json {
  parameters?: { name: string; type?: string; default?: unknown; values?: unknown[] }[];
  variables?: Json[] | Json;
  stages: Stage[];
}

const loadPipeline = (): Pipeline => parse(fs.readFileSync(PIPELINE_FILE, 'utf8')) as Pipeline;
const pipeline = loadPipeline();

/** Steps of a job: `steps`, or every lifecycle hook of a deployment job's runOnce strategy. */
function jobSteps(job: Job): Step[] {
  if (job.steps) return job.steps;
  return Object.values(job.strategy?.runOnce ?? {}).flatMap((hook) => hook.steps ?? []);
}
const stageSteps = (stage: Stage): Step[] => stage.jobs.flatMap(jobSteps);
const allSteps = (p: Pipeline): Step[] => p.stages.flatMap(stageSteps);
const stageNamed = (p: Pipeline, name: string): Stage => {
  const stage = p.stages.find((s) => s.stage === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
};
/** The shell text a step runs: `script`, `bash`, or an AWSShellScript/Bash inline script. */
const commandOf = (step: Step): string =>
  step.script ?? step.bash ?? String(step.inputs?.inlineScript ?? step.inputs?.script ?? '');
const squash = (s: string | undefined): string => (s ?? '').replace(/\s+/g, '');

/**
 * Tasks the pipeline may use although Microsoft's schema cannot validate them. Each is checked
 * here (required inputs, no unknown input), then replaced by an in-box placeholder so the rest
 * of the step (displayName, condition, env, ...) is still validated by the schema. A task that
 * is neither in the schema nor listed here fails validation.
 */
const TASKS_OUTSIDE_SCHEMA: Record<
  string,
  { known: string[]; required: (inputs: Record<string, unknown>) => string[] }
> = {
  // AWS Toolkit for Azure DevOps (a marketplace extension: the schema has in-box tasks only).
  'AWSShellScript@1': {
    known: [
      'awsCredentials',
      'regionName',
      'scriptType',
      'inlineScript',
      'filePath',
      'arguments',
      'disableAutoCwd',
      'workingDirectory',
      'failOnStandardError',
    ],
    required: (inputs) => [
      'awsCredentials',
      'regionName',
      'scriptType',
      inputs.scriptType === 'filePath' ? 'filePath' : 'inlineScript',
    ],
  },
  // In-box, and named in the schema's list of tasks (v1.261.1), but the schema has no inputs
  // definition for it, so it rejects every use. @1 validates but is deprecated by Microsoft.
  'PublishCodeCoverageResults@2': {
    known: ['summaryFileLocation', 'pathToSources', 'failIfCoverageEmpty'],
    required: () => ['summaryFileLocation'],
  },
};

function checkTaskOutsideSchema(task: string, inputs: Record<string, unknown>): string[] {
  const { known, required } = TASKS_OUTSIDE_SCHEMA[task];
  const problems = required(inputs)
    .filter((k) => typeof inputs[k] !== 'string' || inputs[k] === '')
    .map((k) => `missing input ${k}`);
  problems.push(
    ...Object.keys(inputs)
      .filter((k) => !known.includes(k))
      .map((k) => `unknown input ${k}`),
  );
  if (task === 'AWSShellScript@1' && !['inline', 'filePath'].includes(String(inputs.scriptType))) {
    problems.push(`scriptType must be inline or filePath, got ${String(inputs.scriptType)}`);
  }
  return problems;
}

/** A copy of the pipeline with the allow-listed tasks checked and replaced. */
function withExtensionTasksReplaced(p: Pipeline): { doc: Pipeline; problems: string[] } {
  const doc = structuredClone(p);
  const problems: string[] = [];
  for (const stage of doc.stages) {
    for (const job of stage.jobs) {
      for (const step of jobSteps(job)) {
        if (!step.task || !(step.task in TASKS_OUTSIDE_SCHEMA)) continue;
        const where = `${stage.stage}/${String(step.displayName ?? step.task)}`;
        const found = checkTaskOutsideSchema(step.task, step.inputs ?? {});
        problems.push(...found.map((m) => `${where}: ${m}`));
        step.task = 'Bash@3';
        step.inputs = { targetType: 'inline', script: '' };
      }
    }
  }
  return { doc, problems };
}

// The schema lives beside the checkout, not in it. CI always has it; a bare clone may not, and
// only then is this block skipped (jest lists it as skipped, with the path in its title).
const describeIfSchema = fs.existsSync(SCHEMA_FILE) ? describe : describe.skip;

describeIfSchema(`schema validation (${path.relative(ROOT, SCHEMA_FILE)})`, () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    // ~2.5 s: compiled once for this file. The schema needs both relaxations (see ../shared/azure-pipelines/README.md).
    const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: false });
    validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')));
  });
  // A step is checked against ~260 task branches: drop the "task name is not X" noise.
  const errorsOf = (doc: unknown): string =>
    validate(doc)
      ? ''
      : (validate.errors ?? [])
          .filter((e) => !/\/anyOf\/\d+\/properties\/task\/pattern$/.test(e.schemaPath))
          .slice(0, 8)
          .map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
          .join('\n') || 'invalid';

  it('the pipeline is valid, once its allow-listed tasks are checked', () => {
    const { doc, problems } = withExtensionTasksReplaced(loadPipeline());
    expect(problems).toEqual([]);
    expect(errorsOf(doc)).toBe('');
  });

  it('the allow-list is needed: the schema rejects each listed task as it is used', () => {
    const tasks = new Set(allSteps(pipeline).flatMap((s) => (s.task ? [s.task] : [])));
    for (const task of Object.keys(TASKS_OUTSIDE_SCHEMA)) {
      expect([task, tasks.has(task)]).toEqual([task, true]);
      const p = withExtensionTasksReplaced(loadPipeline()).doc;
      const original = allSteps(pipeline).find((s) => s.task === task)!;
      Object.assign(allSteps(p)[allSteps(pipeline).indexOf(original)], original);
      expect([task, errorsOf(p)]).toEqual([task, expect.stringMatching(/./)]);
    }
  });

  it('catches a misspelt task', () => {
    const p = loadPipeline();
    const publish = allSteps(p).find((s) => s.task === 'PublishTestResults@2');
    expect(publish).toBeDefined();
    publish!.task = 'PublishTestResult@2';
    expect(errorsOf(withExtensionTasksReplaced(p).doc)).not.toBe('');
  });

  it('catches an unknown input of an in-box task', () => {
    const p = loadPipeline();
    const cache = allSteps(p).find((s) => s.task === 'Cache@2');
    cache!.inputs = { ...cache!.inputs, keys: 'typo' };
    expect(errorsOf(withExtensionTasksReplaced(p).doc)).not.toBe('');
  });

  it('catches an extension task that is not allow-listed', () => {
    const p = loadPipeline();
    allSteps(p).find((s) => s.task === 'AWSShellScript@1')!.task = 'AWSShellScript@9';
    expect(errorsOf(withExtensionTasksReplaced(p).doc)).not.toBe('');
  });

  it('reports an allow-listed task missing a required input', () => {
    const p = loadPipeline();
    const aws = allSteps(p).find((s) => s.task === 'AWSShellScript@1')!;
    delete aws.inputs!.awsCredentials;
    delete aws.inputs!.inlineScript;
    const { problems } = withExtensionTasksReplaced(p);
    expect(problems).toEqual([
      expect.stringMatching(/missing input awsCredentials$/),
      expect.stringMatching(/missing input inlineScript$/),
    ]);
  });
});

describe('pipeline structure', () => {
  const ORDER = ['BuildAndTest', 'Synth', 'Diff', 'Approve', 'Deploy', 'Preflight', 'SmokeTest'];
  const PR_SKIP = "ne(variables['Build.Reason'],'PullRequest')";

  it('triggers on main and validates pull requests into main', () => {
    expect(pipeline.trigger).toEqual({ branches: { include: ['main'] } });
    expect(pipeline.pr).toEqual({ branches: { include: ['main'] } });
  });

  it('runs the stages in order, each depending on the one before', () => {
    expect(pipeline.stages.map((s) => s.stage)).toEqual(ORDER);
    expect(stageNamed(pipeline, 'BuildAndTest').dependsOn).toBeUndefined();
    for (let i = 1; i < ORDER.length; i++) {
      expect([ORDER[i], stageNamed(pipeline, ORDER[i]).dependsOn]).toEqual([
        ORDER[i],
        ORDER[i - 1],
      ]);
    }
  });

  it('pull requests run BuildAndTest and Synth only', () => {
    for (const name of ['BuildAndTest', 'Synth']) {
      expect(squash(stageNamed(pipeline, name).condition)).not.toContain('PullRequest');
    }
    for (const name of ['Diff', 'Approve', 'Deploy', 'Preflight', 'SmokeTest']) {
      expect([name, squash(stageNamed(pipeline, name).condition)]).toEqual([
        name,
        `and(succeeded(),${PR_SKIP})`,
      ]);
    }
  });

  it('takes Node from .nvmrc and caches npm on package-lock.json wherever it installs', () => {
    for (const stage of pipeline.stages.filter((s) => s.stage !== 'Approve')) {
      const steps = stageSteps(stage);
      const node = steps.find((s) => s.task === 'NodeTool@0');
      // One source of the version: no versionSpec beside the file.
      expect([stage.stage, node?.inputs]).toEqual([
        stage.stage,
        {
          versionSource: 'fromFile',
          versionFilePath: '$(System.DefaultWorkingDirectory)/.nvmrc',
        },
      ]);
      // Node is installed before anything runs npm or node.
      const firstNpm = steps.findIndex((s) => /\b(npm|npx|node)\b/.test(commandOf(s)));
      expect([stage.stage, steps.indexOf(node!) < firstNpm]).toEqual([stage.stage, true]);
      const cache = steps.find((s) => s.task === 'Cache@2');
      expect([stage.stage, String(cache?.inputs?.key)]).toEqual([
        stage.stage,
        expect.stringContaining('package-lock.json'),
      ]);
      const ci = steps.findIndex((s) => s.script === 'npm ci');
      expect([stage.stage, ci > steps.indexOf(cache!)]).toEqual([stage.stage, true]);
    }
  });

  it('BuildAndTest lints, typechecks, tests and publishes JUnit and Cobertura even on failure', () => {
    const steps = stageSteps(stageNamed(pipeline, 'BuildAndTest'));
    const scripts = steps.map(commandOf).join('\n');
    expect(scripts).toContain('npm run lint');
    expect(scripts).toContain('npm run typecheck');
    expect(scripts).toMatch(/npx jest --ci .*--reporters=jest-junit/s);
    expect(scripts).toMatch(/--coverageReporters=cobertura/);
    const junit = steps.find((s) => s.task === 'PublishTestResults@2');
    expect(junit?.inputs?.testResultsFormat).toBe('JUnit');
    const coverage = steps.find((s) => s.task === 'PublishCodeCoverageResults@2');
    expect(String(coverage?.inputs?.summaryFileLocation)).toMatch(
      /coverage\/cobertura-coverage\.xml$/,
    );
    for (const publish of [junit, coverage]) {
      expect([publish?.task, publish?.condition]).toEqual([publish?.task, 'succeededOrFailed()']);
    }
  });

  it('synthesizes exactly once, in Synth, and publishes cdk.out', () => {
    const synths = pipeline.stages.flatMap((stage) =>
      stageSteps(stage)
        .filter((s) => /\bcdk synth\b/.test(commandOf(s)))
        .map((s) => [stage.stage, commandOf(s)]),
    );
    expect(synths).toEqual([['Synth', expect.any(String)]]);
    const synth = synths[0][1];
    // The stage, then what the variable group adds (run below, in "the Synth stage's scripts").
    expect(synth).toContain('args=(-c "stage=$(stage)")');
    expect(synth).toMatch(/^\s*if ! npx cdk synth "\$\{args\[@\]\}" --quiet 2>&1 \| tee /m);
    expect(synth).toContain('set -euo pipefail');
    const publish = stageSteps(stageNamed(pipeline, 'Synth')).find(
      (s) => s.task === 'PublishPipelineArtifact@1',
    );
    expect(publish?.inputs).toMatchObject({ targetPath: expect.stringMatching(/cdk\.out$/) });
  });

  it("names any stage: a free-text parameter, the stage's variable group and environment", () => {
    const stage = pipeline.parameters?.find((p) => p.name === 'stage');
    // Stages are configuration, not a list in the pipeline: synth validates the name.
    expect(stage).toMatchObject({ type: 'string', default: 'prod' });
    expect(stage?.values).toBeUndefined();
    const variables = pipeline.variables as Json[];
    expect(Array.isArray(variables)).toBe(true);
    // The group comes first: the pipeline's own names below it win over a group variable.
    expect(variables[0]).toEqual({ group: 'txconfirm-${{ parameters.stage }}' });
    expect(variables).toContainEqual(
      expect.objectContaining({ name: 'stage', value: '${{ parameters.stage }}' }),
    );
    // awsAccountId and awsRegion are per stage: the group's, never a parameter or a constant.
    expect(pipeline.parameters?.map((p) => p.name)).not.toEqual(
      expect.arrayContaining(['awsAccountId']),
    );
    expect(variables.map((v) => v.name)).not.toEqual(
      expect.arrayContaining(['awsAccountId', 'awsRegion']),
    );
    const [deploy] = stageNamed(pipeline, 'Deploy').jobs;
    expect(deploy.environment).toBe('txconfirm-${{ parameters.stage }}');
  });

  it('no secret is a pipeline variable: the provider key stays in Secrets Manager', () => {
    const text = fs.readFileSync(PIPELINE_FILE, 'utf8');
    expect(text).not.toMatch(/put-secret-value|get-secret-value|SecretString|issecret=true/i);
    expect(text).not.toMatch(/providerApiKey|PROVIDER_API_KEY/i);
  });

  const synthArtifact = (): unknown =>
    stageSteps(stageNamed(pipeline, 'Synth')).find((s) => s.task === 'PublishPipelineArtifact@1')
      ?.inputs?.artifact;
  const downloadsSynthArtifact = (steps: Step[]): boolean =>
    steps.some(
      (s) =>
        s.task === 'DownloadPipelineArtifact@2' &&
        s.inputs?.artifactName === synthArtifact() &&
        /cdk\.out$/.test(String(s.inputs?.targetPath)),
    );

  it('Diff diffs the synthesized cdk.out with AWS credentials and publishes the output', () => {
    const steps = stageSteps(stageNamed(pipeline, 'Diff'));
    expect(downloadsSynthArtifact(steps)).toBe(true);
    const diff = steps.find((s) => /cdk diff --app cdk\.out /.test(commandOf(s)));
    expect(diff?.task).toBe('AWSShellScript@1');
    expect(commandOf(diff!)).toMatch(/\$\(stackName\)/);
    const saved = /tee "(\$out\/[\w.-]+)"/.exec(commandOf(diff!));
    expect(saved).not.toBeNull();
    const published = steps.slice(steps.indexOf(diff!) + 1);
    expect(published).toContainEqual(
      expect.objectContaining({
        task: 'PublishPipelineArtifact@1',
        inputs: expect.objectContaining({ artifact: 'cdk-diff' }),
      }),
    );
  });

  it('Approve is an agentless ManualValidation that rejects on timeout and points at the diff', () => {
    const { jobs } = stageNamed(pipeline, 'Approve');
    expect(jobs).toHaveLength(1);
    expect(jobs[0].pool).toBe('server');
    const steps = jobSteps(jobs[0]);
    expect(steps.map((s) => s.task)).toEqual(['ManualValidation@1']);
    const { inputs, timeoutInMinutes } = steps[0];
    expect(inputs).toMatchObject({ onTimeout: 'reject', notifyUsers: expect.any(String) });
    expect(String(inputs?.instructions)).toContain('cdk-diff');
    expect(timeoutInMinutes).toEqual(expect.any(Number));
  });

  it('Deploy is a deployment job that deploys the approved artifact without re-synthesizing', () => {
    const { jobs } = stageNamed(pipeline, 'Deploy');
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job.deployment).toBeDefined();
    expect(String(job.environment)).toMatch(/^txconfirm-/);
    const steps = jobSteps(job);
    expect(downloadsSynthArtifact(steps)).toBe(true);
    const commands = steps.map(commandOf);
    expect(commands.join('\n')).not.toMatch(/\bcdk synth\b/);
    const deploys = commands.filter((c) => /\bcdk deploy\b/.test(c));
    expect(deploys).toHaveLength(1);
    for (const line of deploys[0].split('\n').filter((l) => /\bcdk deploy\b/.test(l))) {
      expect(line).toMatch(/cdk deploy --app cdk\.out \$\(stackName\) --require-approval never/);
    }
    const deployStep = steps.find((s) => /\bcdk deploy\b/.test(commandOf(s)));
    expect(deployStep?.task).toBe('AWSShellScript@1');
  });

  it('SmokeTest starts a dry-run execution and waits for it, with AWS credentials', () => {
    const steps = stageSteps(stageNamed(pipeline, 'SmokeTest'));
    const smoke = steps.find((s) => commandOf(s).includes('txc -- start'));
    expect(smoke?.task).toBe('AWSShellScript@1');
    expect(commandOf(smoke!)).toContain(
      'npm run txc -- start --stage $(stage) --dry-run --wait --json',
    );
    // A failed run must fail the step: nothing may swallow txc's exit code.
    expect(commandOf(smoke!)).toContain('set -euo pipefail');
    expect(commandOf(smoke!)).not.toMatch(/\|\|\s*true|continueOnError/);
    expect(smoke?.continueOnError).toBeUndefined();
  });

  it('Preflight runs txc doctor on the stage after Deploy and before the smoke test, failing on a failed check', () => {
    const preflight = stageNamed(pipeline, 'Preflight');
    expect(preflight.dependsOn).toBe('Deploy');
    expect(stageNamed(pipeline, 'SmokeTest').dependsOn).toBe('Preflight');
    const steps = stageSteps(preflight);
    const doctor = steps.find((s) => commandOf(s).includes('txc -- doctor'));
    expect(doctor?.task).toBe('AWSShellScript@1');
    expect(commandOf(doctor!)).toContain('npm run txc -- doctor --stage $(stage)');
    // doctor exits 1 on a failed check: nothing may swallow it (a warning exits 0 by itself).
    expect(commandOf(doctor!)).toContain('set -euo pipefail');
    expect(commandOf(doctor!)).not.toMatch(/\|\|\s*true|continueOnError/);
    expect(doctor?.continueOnError).toBeUndefined();
    expect(doctor?.condition).toBeUndefined();
  });

  it('every AWS step uses the same service connection and region', () => {
    const aws = allSteps(pipeline).filter((s) => s.task === 'AWSShellScript@1');
    expect(aws.length).toBeGreaterThanOrEqual(4);
    const connections = new Set(aws.map((s) => s.inputs?.awsCredentials));
    const regions = new Set(aws.map((s) => s.inputs?.regionName));
    expect([...connections]).toEqual(['${{ parameters.awsServiceConnection }}']);
    expect([...regions]).toEqual(['$(awsRegion)']);
  });
});

describe('.nvmrc: the Node of the pipeline', () => {
  const nvmrc = fs.readFileSync(NVMRC_FILE, 'utf8');
  const major = Number(/^v?(\d+)/.exec(nvmrc.trim())?.[1]);

  it('is one version line: a major, or major.minor[.patch]', () => {
    expect(nvmrc).toMatch(/^v?\d+(\.\d+){0,2}\n?$/);
  });

  it('is an LTS line (even major) no older than Node 24', () => {
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
  });

  it('satisfies package.json engines, which still admits the local Node 20.19', () => {
    const { engines } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const minimum = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines.node);
    expect(minimum).not.toBeNull();
    expect(major).toBeGreaterThanOrEqual(Number(minimum![1]));
    expect(Number(minimum![1])).toBeLessThanOrEqual(20);
  });
});

/**
 * The Synth stage's bash steps, run as the agent would: Azure macros `$(name)` replaced first (an
 * undefined one stays literal, as on Azure), the variable group as upper-cased environment
 * variables, and `npx` a stand-in: `npx tsx` is the real tsx; `npx cdk` records its arguments and,
 * when asked, runs the real CDK app (bin/app.ts) with them as context, the way the cdk CLI does.
 * Only runs that stop at the configuration check run the app, so nothing is synthesized here.
 */
describe("the Synth stage's scripts", () => {
  const synthSteps = stageSteps(stageNamed(pipeline, 'Synth'));
  const scriptOf = (pattern: RegExp): string => {
    const matches = synthSteps.filter((s) => pattern.test(commandOf(s)));
    expect(matches).toHaveLength(1);
    return commandOf(matches[0]);
  };
  const groupCheck = scriptOf(/AWSACCOUNTID/);
  const synth = scriptOf(/\bcdk synth\b/);
  const targetCheck = scriptOf(/manifest\.json/);

  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-pipeline-'));
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'npx'),
      [
        '#!/usr/bin/env bash',
        'tool="$1"; shift',
        'case "$tool" in',
        '  tsx) exec "$REAL_TSX" "$@" ;;',
        '  cdk) exec node "$FAKE_CDK" "$@" ;;',
        'esac',
        'echo "stand-in npx: unexpected $tool" >&2; exit 127',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(tmp, 'fake-cdk.js'),
      `const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const args = process.argv.slice(2);
fs.writeFileSync(process.env.FAKE_CDK_ARGS, JSON.stringify(args));
if (process.env.FAKE_CDK_RUN_APP !== '1') process.exit(0);
const context = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '-c') continue;
  const [key, ...value] = args[++i].split('=');
  context[key] = value.join('=');
}
const app = spawnSync(process.env.REAL_TSX, ['bin/app.ts'], {
  stdio: 'inherit',
  env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: process.env.FAKE_CDK_OUTDIR },
});
process.exit(app.status ?? 1);
`,
    );
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const STAGE = 'prod';
  const macros = (group: Record<string, string>): Record<string, string> => ({
    stage: STAGE,
    stackName: `Txconfirm-${STAGE}`,
    'Agent.TempDirectory': tmp,
    ...group,
  });
  /** Azure's macro syntax: `$(name)` of a defined variable is replaced; any other stays as written. */
  const expand = (script: string, variables: Record<string, string>): string =>
    script.replace(/\$\(([A-Za-z_][\w.]*)\)/g, (text, name: string) => variables[name] ?? text);

  interface Run {
    status: number | null;
    output: string;
    errors: string[];
    cdkArgs?: string[];
  }
  function run(
    script: string,
    options: { group?: Record<string, string>; cwd?: string; runApp?: boolean } = {},
  ): Run {
    const group = options.group ?? {};
    const argsFile = path.join(tmp, 'cdk-args.json');
    fs.rmSync(argsFile, { force: true });
    const result = spawnSync('bash', ['-c', expand(script, macros(group))], {
      cwd: options.cwd ?? ROOT,
      encoding: 'utf8',
      timeout: 50_000,
      env: {
        PATH: `${path.join(tmp, 'bin')}:${process.env.PATH}`,
        HOME: process.env.HOME,
        TMPDIR: os.tmpdir(),
        REAL_TSX: path.join(ROOT, 'node_modules', '.bin', 'tsx'),
        FAKE_CDK: path.join(tmp, 'fake-cdk.js'),
        FAKE_CDK_ARGS: argsFile,
        FAKE_CDK_OUTDIR: path.join(tmp, 'cdk.out'),
        FAKE_CDK_RUN_APP: options.runApp ? '1' : '0',
        // Non-secret variables reach scripts upper-cased, "." as "_".
        ...Object.fromEntries(
          Object.entries(group).map(([k, v]) => [k.toUpperCase().replace(/\./g, '_'), v]),
        ),
      },
    });
    const output = `${result.stdout}${result.stderr}`;
    return {
      status: result.status,
      output,
      errors: [...output.matchAll(/^##vso\[task\.logissue type=error\](.*)$/gm)].map((m) => m[1]),
      ...(fs.existsSync(argsFile)
        ? { cdkArgs: JSON.parse(fs.readFileSync(argsFile, 'utf8')) as string[] }
        : {}),
    };
  }
  const PLACE = { awsAccountId: '123456789012', awsRegion: 'eu-west-1' };

  it('the group must name the stage account and region, or the run stops with both problems', () => {
    expect(run(groupCheck, { group: PLACE })).toMatchObject({ status: 0, errors: [] });
    const missing = run(groupCheck);
    expect(missing.status).toBe(1);
    expect(missing.errors).toEqual([
      expect.stringMatching(/^variable group txconfirm-prod: awsAccountId must be .*, got ''/),
      expect.stringMatching(/^variable group txconfirm-prod: awsRegion must be .*, got ''/),
    ]);
    const typo = run(groupCheck, { group: { awsAccountId: '1234', awsRegion: 'eu-west-1' } });
    expect(typo.errors).toEqual([expect.stringContaining("got '1234'")]);
  });

  it('passes -c stage=<stage> and each setting the group sets, by its name, and nothing else', () => {
    const result = run(synth, {
      group: {
        ...PLACE,
        providerBaseUrl: 'https://api.provider.example',
        providerSecret: 'create',
        alarmEmails: 'oncall@example.com,payments@example.com',
        maxConcurrency: '',
        notASetting: 'x',
      },
    });
    expect(result).toMatchObject({ status: 0, errors: [] });
    expect(result.cdkArgs).toEqual([
      'synth',
      '-c',
      'stage=prod',
      '-c',
      'providerBaseUrl=https://api.provider.example',
      '-c',
      'providerSecret=create',
      '-c',
      'alarmEmails=oncall@example.com,payments@example.com',
      '--quiet',
    ]);
  });

  it('with nothing configured, fails with every missing setting in the log and on the run summary', () => {
    const result = run(synth, { group: PLACE, runApp: true });
    expect(result.status).toBe(1);
    expect(result.cdkArgs).toEqual(['synth', '-c', 'stage=prod', '--quiet']);
    // The app's own message (bin/app.ts), in the step log ...
    expect(result.output).toMatch(/^InvalidConfiguration:$/m);
    for (const setting of ['providerBaseUrl', 'providerSecret', 'alarm routing']) {
      expect(result.output).toMatch(new RegExp(`^  - ${setting} is required`, 'm'));
    }
    // ... and one error per problem on the run summary, then what to do.
    expect(result.errors).toEqual([
      expect.stringMatching(/^providerBaseUrl is required .*-c providerBaseUrl=/),
      expect.stringMatching(/^providerSecret is required /),
      expect.stringMatching(/^alarm routing is required for a production stage/),
      expect.stringMatching(/^cdk synth of Txconfirm-prod failed .*variable group txconfirm-prod/),
    ]);
  });

  it('what the group sets reaches the app: only the setting still missing is reported', () => {
    const result = run(synth, {
      group: {
        ...PLACE,
        providerBaseUrl: 'https://api.provider.example',
        providerSecret: 'create',
      },
      runApp: true,
    });
    expect(result.status).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(/^alarm routing is required for a production stage/),
      expect.stringMatching(/^cdk synth of Txconfirm-prod failed/),
    ]);
  });

  it('cdk.out must target the account and region the run deploys to, unless it is environment-agnostic', () => {
    const cwd = path.join(tmp, 'checkout');
    const synthesizedFor = (environment: string) => {
      fs.mkdirSync(path.join(cwd, 'cdk.out'), { recursive: true });
      fs.writeFileSync(
        path.join(cwd, 'cdk.out', 'manifest.json'),
        JSON.stringify({
          artifacts: { 'Txconfirm-prod': { type: 'aws:cloudformation:stack', environment } },
        }),
      );
      return run(targetCheck, { group: PLACE, cwd });
    };
    expect(synthesizedFor('aws://unknown-account/unknown-region').status).toBe(0);
    expect(synthesizedFor('aws://123456789012/eu-west-1').status).toBe(0);
    expect(synthesizedFor('aws://123456789012/unknown-region').status).toBe(0);
    for (const elsewhere of ['aws://999999999999/eu-west-1', 'aws://123456789012/us-east-1']) {
      const result = synthesizedFor(elsewhere);
      expect([elsewhere, result.status]).toEqual([elsewhere, 1]);
      expect(result.errors).toEqual([
        expect.stringContaining(`synthesized for ${elsewhere}, but this run deploys to`),
      ]);
    }
  });
});
