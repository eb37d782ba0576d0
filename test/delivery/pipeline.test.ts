// azure-pipelines.yml (DESIGN.md §9, README.md § Deploying): valid against Microsoft's Azure
// Pipelines schema, and shaped as BuildAndTest → Synth → Diff → Approve → Deploy → SmokeTest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const PIPELINE_FILE = path.join(ROOT, 'azure-pipelines.yml');
const SCHEMA_FILE = path.resolve(ROOT, '../shared/azure-pipelines/service-schema.json');

type Json = Record<string, unknown>;
interface Step extends Json {
  task?: string;
  script?: string;
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
/** The shell text a step runs: `script`, or an AWSShellScript/Bash inline script. */
const commandOf = (step: Step): string =>
  step.script ?? String(step.inputs?.inlineScript ?? step.inputs?.script ?? '');
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
    // ~2.5 s: compiled once for this file. The schema needs both relaxations (README beside it).
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
  const ORDER = ['BuildAndTest', 'Synth', 'Diff', 'Approve', 'Deploy', 'SmokeTest'];
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
    for (const name of ['Diff', 'Approve', 'Deploy', 'SmokeTest']) {
      expect([name, squash(stageNamed(pipeline, name).condition)]).toEqual([
        name,
        `and(succeeded(),${PR_SKIP})`,
      ]);
    }
  });

  it('pins Node 20 and caches npm on package-lock.json wherever it installs', () => {
    for (const stage of pipeline.stages.filter((s) => s.stage !== 'Approve')) {
      const steps = stageSteps(stage);
      const node = steps.find((s) => s.task === 'NodeTool@0');
      expect([stage.stage, node?.inputs?.versionSpec]).toEqual([stage.stage, '20.x']);
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
    expect(synths).toEqual([['Synth', 'npx cdk synth -c stage=$(stage) --quiet']]);
    const publish = stageSteps(stageNamed(pipeline, 'Synth')).find(
      (s) => s.task === 'PublishPipelineArtifact@1',
    );
    expect(publish?.inputs).toMatchObject({ targetPath: expect.stringMatching(/cdk\.out$/) });
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

  it('every AWS step uses the same service connection and region', () => {
    const aws = allSteps(pipeline).filter((s) => s.task === 'AWSShellScript@1');
    expect(aws.length).toBeGreaterThanOrEqual(3);
    const connections = new Set(aws.map((s) => s.inputs?.awsCredentials));
    const regions = new Set(aws.map((s) => s.inputs?.regionName));
    expect([...connections]).toEqual(['${{ parameters.awsServiceConnection }}']);
    expect([...regions]).toEqual(['$(awsRegion)']);
  });
});
