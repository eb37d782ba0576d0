/** Mermaid renderers: the state machine as a stateDiagram-v2, the architecture as a flowchart. */
import type { ArchModel } from './architecture-model';
import { HEADER } from './header';
import { type SmGraph, walkStates } from './state-machine-model';

/* Mermaid stateDiagram-v2 ---------------------------------------------------------------------- */

/** Mermaid state text: no `;` (statement separator), no line breaks. */
function mmdText(text: string): string {
  return text.replace(/;/g, ',').replace(/[\r\n]+/g, ' ');
}

export function stateMachineMermaid(graph: SmGraph): string {
  const out = ['stateDiagram-v2', `  %% ${HEADER}`, '  direction TB'];
  out.push('  classDef choice fill:#fff3cd,stroke:#b8860b');
  out.push('  classDef succeed fill:#d4edda,stroke:#2e7d32');
  out.push('  classDef fail fill:#f8d7da,stroke:#c62828');
  out.push('  classDef map fill:#dbe9f6,stroke:#1f4e79');
  const notes: string[] = [];
  const emit = (g: SmGraph, indent: string): void => {
    for (const state of g.states) {
      if (state.children) {
        out.push(
          state.id === state.name
            ? `${indent}state ${state.id} {`
            : `${indent}state "${mmdText(state.name)}" as ${state.id} {`,
        );
        emit(state.children, `${indent}  `);
        out.push(`${indent}}`);
        notes.push(`  note right of ${state.id}`);
        notes.push(...state.lines.map((l) => `    ${mmdText(l)}`));
        notes.push('  end note');
      } else {
        out.push(`${indent}state "${mmdText(state.name)}" as ${state.id}`);
        for (const line of state.lines) out.push(`${indent}${state.id} : ${mmdText(line)}`);
      }
    }
    out.push(`${indent}[*] --> ${g.startAt}`);
    for (const edge of g.edges) {
      const label = edge.kind === 'next' ? '' : ` : ${mmdText(edge.label)}`;
      out.push(`${indent}${edge.from} --> ${edge.to}${label}`);
    }
    for (const end of g.ends) out.push(`${indent}${end} --> [*]`);
  };
  emit(graph, '  ');
  out.push(...notes);
  const byClass: Record<string, string[]> = { choice: [], succeed: [], fail: [] };
  walkStates(graph, (s) => {
    const cls =
      s.type === 'Choice'
        ? 'choice'
        : s.type === 'Succeed'
          ? 'succeed'
          : s.type === 'Fail'
            ? 'fail'
            : undefined;
    if (cls) byClass[cls].push(s.id);
  });
  for (const [cls, ids] of Object.entries(byClass)) {
    if (ids.length > 0) out.push(`  class ${ids.join(',')} ${cls}`);
  }
  return out.join('\n') + '\n';
}

/* Mermaid flowchart ---------------------------------------------------------------------------- */

function mmdLabel(lines: readonly string[]): string {
  return `"${lines.map((l) => l.replace(/"/g, '#quot;')).join('<br/>')}"`;
}

export function architectureMermaid(model: ArchModel): string {
  const out = ['flowchart LR', `  %% ${HEADER}`];
  for (const group of model.groups) {
    out.push(`  subgraph ${group.id}[${mmdLabel([group.title])}]`);
    for (const node of group.nodes) out.push(`    ${node.id}[${mmdLabel(node.lines)}]`);
    out.push('  end');
  }
  for (const e of model.edges) {
    const arrow = e.dashed ? '-.->' : '-->';
    out.push(`  ${e.from} ${arrow}${e.label ? `|${mmdLabel([e.label])}|` : ''} ${e.to}`);
  }
  return out.join('\n') + '\n';
}
