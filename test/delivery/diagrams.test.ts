/**
 * The committed diagrams in diagrams/ are generated from the synthesized stack (tools/diagrams/)
 * and must stay in step with it: regenerated in memory from the same template, they are compared
 * byte for byte, and checked for completeness (every ASL state, every resource type).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DIAGRAMS_DIR,
  DIAGRAM_FILES,
  type DiagramFile,
  aslStateNames,
  architectureModel,
  generateDiagrams,
  staleDiagramFiles,
} from '../../tools/diagrams';
import { testStack } from '../support/template';

let generated: Record<DiagramFile, string>;

beforeAll(async () => {
  generated = await generateDiagrams(testStack());
});

/** The text content of an SVG as Graphviz escapes it. */
function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

describe('diagrams/', () => {
  it('the committed files are exactly what the generator produces from the synthesized stack', () => {
    const stale = staleDiagramFiles(generated);
    if (stale.length > 0) {
      throw new Error(
        `Stale diagrams: ${stale.map((f) => `diagrams/${f}`).join(', ')}. Run npm run diagrams and commit the result.`,
      );
    }
    expect(Object.keys(generated).sort()).toEqual([...DIAGRAM_FILES].sort());
  });

  it('generation is deterministic (a second run gives byte-identical files)', async () => {
    const again = await generateDiagrams(testStack());
    expect(again).toEqual(generated);
  });

  it('a changed file is reported stale', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'diagrams-'));
    for (const name of DIAGRAM_FILES) fs.writeFileSync(path.join(tmp, name), generated[name]);
    fs.writeFileSync(path.join(tmp, 'state-machine.mmd'), 'stateDiagram-v2\n');
    fs.rmSync(path.join(tmp, 'architecture.svg'));
    expect(staleDiagramFiles(generated, tmp)).toEqual(['architecture.svg', 'state-machine.mmd']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('state machine', () => {
    const names = (): string[] => aslStateNames(testStack().definition.definition);

    it('includes the Distributed Map item processor states', () => {
      expect(names()).toEqual(expect.arrayContaining(['ConfirmPage', 'ConfirmBatch']));
      expect(generated['state-machine.mmd']).toMatch(
        /^\s*state ConfirmPage \{\n\s+state "ConfirmBatch"/m,
      );
      expect(generated['state-machine.dot']).toContain('subgraph "cluster_ConfirmPage"');
    });

    it('every ASL state (recursively) is in the Mermaid, DOT and SVG', () => {
      expect(names().length).toBeGreaterThan(10);
      for (const name of names()) {
        expect(generated['state-machine.mmd']).toContain(name);
        expect(generated['state-machine.dot']).toContain(`"${name}`);
        expect(generated['state-machine.svg']).toContain(`>${xmlEscape(name)}</text>`);
      }
    });

    it('Choice branches carry their conditions, Catch edges are dashed and name the error', () => {
      const mmd = generated['state-machine.mmd'];
      expect(mmd).toContain('RunSkipped_ --> Skipped : $.status == "SKIPPED"');
      expect(mmd).toContain('NextStep_ --> ConfirmPage : $.next == "CONFIRM"');
      expect(mmd).toContain('RunSkipped_ --> FetchPage : Default');
      expect(mmd).toContain('FetchPage --> ReleaseLockAfterFailure : Catch States.ALL');
      expect(generated['state-machine.dot']).toMatch(
        /"ConfirmPage" -> "ReleaseLockAfterFailure" \[label="Catch States\.ALL[^"]*", style="dashed"/,
      );
    });

    it('Retry is noted on the states that retry, and Succeed/Fail states end the diagram', () => {
      const mmd = generated['state-machine.mmd'];
      expect(mmd).toMatch(/ConfirmPage__ConfirmBatch : Retry ×3/);
      expect(mmd).toMatch(/ContinueAsNew : on StepFunctions\.ExecutionLimitExceededException/);
      for (const end of ['RunSucceeded', 'RunFailed', 'Skipped', 'HandedOver']) {
        expect(mmd).toContain(`${end} --> [*]`);
      }
    });
  });

  describe('architecture', () => {
    it('every resource type of the template is a node or group of the diagram', () => {
      const types = [...new Set(Object.values(testStack().template.Resources).map((r) => r.Type))];
      const model = architectureModel(testStack());
      const drawn = model.groups.flatMap((g) => g.nodes.flatMap((n) => n.types));
      expect(types.length).toBeGreaterThan(10);
      for (const type of types) {
        expect(drawn).toContain(type);
        expect(generated['architecture.mmd']).toContain(type);
        expect(generated['architecture.dot']).toContain(type);
        expect(generated['architecture.svg']).toContain(type);
      }
    });

    it('draws the five functions and the edges that matter, derived from the template', () => {
      const mmd = generated['architecture.mmd'];
      expect(mmd).toContain('"AWS::Lambda::Function ×5"');
      for (const handler of [
        'start-run',
        'fetch-page',
        'confirm-batch',
        'finish-run',
        'release-lock',
      ]) {
        expect(mmd).toContain(`lambdas/handlers/${handler}.ts`);
      }
      const edge = (from: RegExp, to: RegExp): void => {
        const found = architectureModel(testStack()).edges.some(
          (e) => from.test(e.from) && to.test(e.to),
        );
        expect({ from: from.source, to: to.source, found }).toEqual({
          from: from.source,
          to: to.source,
          found: true,
        });
      };
      edge(/^ConfirmationSchedule/, /^ConfirmationWorkflowStateMachine/);
      for (const fn of ['StartRun', 'FetchPage', 'ConfirmBatch', 'FinishRun']) {
        edge(/^ConfirmationWorkflowStateMachine/, new RegExp(`^${fn}Function`));
      }
      edge(/^ConfirmationWorkflowReleaseLockRule/, /^ReleaseLockFunction/);
      edge(/^ConfirmBatchFunction/, /^TransactionsTable/);
      edge(/^ConfirmBatchFunction/, /^X_secret_/);
      edge(/^ConfirmBatchFunction/, /^X_PROVIDER_BASE_URL$/);
      edge(/^StartRunFunction/, /^RunsTable/);
      edge(/^T_AWS__CloudWatch__Alarm$/, /^MonitoringAlarmTopic/);
      expect(mmd).toMatch(/"AWS::CloudWatch::Alarm ×\d+"/);
    });
  });

  it('the SVGs are valid SVG documents', () => {
    for (const name of ['architecture.svg', 'state-machine.svg'] as const) {
      const svg = generated[name];
      const body = svg
        .replace(/^<\?xml[^>]*\?>\s*/, '')
        .replace(/^<!DOCTYPE[^>]*>\s*/, '')
        .replace(/^(<!--[\s\S]*?-->\s*)+/, '');
      expect(body.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(fs.readFileSync(path.join(DIAGRAMS_DIR, name), 'utf8').length).toBeGreaterThan(1000);
    }
  });
});
