/**
 * Generation of diagrams/ from a synthesized stack, in memory, and the staleness check against the
 * committed files. Output is deterministic: the same code gives byte-identical files (template and
 * ASL order, no timestamps; the SVGs come from the pinned WASM Graphviz of @viz-js/viz).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { instance } from '@viz-js/viz';
import type { LocalStack } from '../../local/stack/stack-template';
import { architectureModel, friendly } from './architecture-model';
import { architectureDot, stateMachineDot } from './dot';
import { architectureMermaid, stateMachineMermaid } from './mermaid';
import { stateMachineModel } from './state-machine-model';

export const DIAGRAMS_DIR = path.resolve(__dirname, '..', '..', 'diagrams');

/** The generated files, by name inside diagrams/, in a stable order. */
export const DIAGRAM_FILES = [
  'architecture.dot',
  'architecture.mmd',
  'architecture.svg',
  'state-machine.dot',
  'state-machine.mmd',
  'state-machine.svg',
] as const;
export type DiagramFile = (typeof DIAGRAM_FILES)[number];

/** All diagram files for a synthesized stack, in memory. */
export async function generateDiagrams(stack: LocalStack): Promise<Record<DiagramFile, string>> {
  const functionNames: Record<string, string> = {};
  for (const [arn, fn] of Object.entries(stack.definition.functionsByArn)) {
    functionNames[arn] = friendly(fn.logicalId);
  }
  const sm = stateMachineModel(stack.definition.definition, functionNames);
  const arch = architectureModel(stack);
  const smDot = stateMachineDot(sm, `${stack.definition.stateMachineName}: state machine`);
  const archDot = architectureDot(arch);
  const viz = await instance();
  const svg = (dot: string): string => viz.renderString(dot, { format: 'svg' });
  return {
    'architecture.dot': archDot,
    'architecture.mmd': architectureMermaid(arch),
    'architecture.svg': svg(archDot),
    'state-machine.dot': smDot,
    'state-machine.mmd': stateMachineMermaid(sm),
    'state-machine.svg': svg(smDot),
  };
}

/** The files of diagrams/ that differ from (or are missing against) the generated ones. */
export function staleDiagramFiles(
  generated: Readonly<Record<string, string>>,
  dir: string = DIAGRAMS_DIR,
): string[] {
  return Object.keys(generated)
    .sort()
    .filter((name) => {
      const file = path.join(dir, name);
      return !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== generated[name];
    });
}
