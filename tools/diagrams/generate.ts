/**
 * Generation of diagrams/ from a synthesized stack, in memory, and the staleness check against the
 * committed files. Output is deterministic: the same code gives byte-identical files (template and
 * ASL order, no timestamps; the SVGs come from the pinned WASM Graphviz of @viz-js/viz).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Viz } from '@viz-js/viz';
import type { LocalStack } from '../../local/stack/stack-template';
import { architectureModel, friendly } from './architecture-model';
import { architectureDot, stateMachineDot } from './dot';
import { architectureMermaid, stateMachineMermaid } from './mermaid';
import { type SmGraph, stateMachineModel } from './state-machine-model';

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

/**
 * The state machine's diagram of a synthesized stack: its model (the state of each node id) and
 * its DOT, from which the SVG is rendered. `txc local serve`'s console renders the same graph.
 */
export function stateMachineDiagram(stack: LocalStack): { graph: SmGraph; dot: string } {
  const functionNames: Record<string, string> = {};
  for (const [arn, fn] of Object.entries(stack.definition.functionsByArn)) {
    functionNames[arn] = friendly(fn.logicalId);
  }
  const graph = stateMachineModel(stack.definition.definition, functionNames);
  return {
    graph,
    dot: stateMachineDot(graph, `${stack.definition.stateMachineName}: state machine`),
  };
}

let viz: Promise<Viz> | undefined;

/**
 * DOT rendered as SVG by the pinned WASM Graphviz, instantiated once and loaded only then (a
 * devDependency: `txc local serve` imports this module for its console and must start without
 * loading it).
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz')
    .then((module) => module.instance())
    .catch((error: unknown) => {
      viz = undefined;
      throw error;
    });
  return (await viz).renderString(dot, { format: 'svg' });
}

/** All diagram files for a synthesized stack, in memory. */
export async function generateDiagrams(stack: LocalStack): Promise<Record<DiagramFile, string>> {
  const sm = stateMachineDiagram(stack);
  const arch = architectureModel(stack);
  const archDot = architectureDot(arch);
  return {
    'architecture.dot': archDot,
    'architecture.mmd': architectureMermaid(arch),
    'architecture.svg': await renderSvg(archDot),
    'state-machine.dot': sm.dot,
    'state-machine.mmd': stateMachineMermaid(sm.graph),
    'state-machine.svg': await renderSvg(sm.dot),
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
