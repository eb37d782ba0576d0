/**
 * The diagrams of diagrams/, generated from the synthesized stack (`npm run diagrams`, cli.ts):
 *
 *   state-machine-model.ts   the graph of the resolved ASL (states, transitions, Map processors)
 *   architecture-model.ts    the resources of the template, grouped by type, and their edges
 *   mermaid.ts, dot.ts       the two formats (the SVGs are rendered from the DOT)
 *   generate.ts              all files in memory, and the staleness check
 *   cli.ts                   writes diagrams/, or --check
 */
export {
  type ArchEdge,
  type ArchGroup,
  type ArchModel,
  type ArchNode,
  architectureModel,
} from './architecture-model';
export { main } from './cli';
export { architectureDot, stateMachineDot } from './dot';
export {
  DIAGRAMS_DIR,
  DIAGRAM_FILES,
  type DiagramFile,
  generateDiagrams,
  staleDiagramFiles,
} from './generate';
export { architectureMermaid, stateMachineMermaid } from './mermaid';
export {
  type SmEdge,
  type SmGraph,
  type SmState,
  aslStateNames,
  conditionText,
  stateMachineModel,
} from './state-machine-model';
