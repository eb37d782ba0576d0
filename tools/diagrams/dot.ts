/** Graphviz DOT renderers (the SVGs are rendered from these by @viz-js/viz in generate.ts). */
import type { ArchModel } from './architecture-model';
import { HEADER } from './header';
import type { SmGraph } from './state-machine-model';

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function dotAttrs(attrs: Record<string, string | undefined>): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${dotString(v as string)}`);
  return parts.length > 0 ? ` [${parts.join(', ')}]` : '';
}

const STATE_STYLE: Record<string, Record<string, string>> = {
  Choice: { shape: 'diamond', style: 'filled', fillcolor: '#fff3cd', color: '#b8860b' },
  Succeed: { shape: 'box', style: 'rounded,filled,bold', fillcolor: '#d4edda', color: '#2e7d32' },
  Fail: { shape: 'box', style: 'rounded,filled,bold', fillcolor: '#f8d7da', color: '#c62828' },
  Map: { shape: 'box', style: 'rounded,filled', fillcolor: '#dbe9f6', color: '#1f4e79' },
};

export function stateMachineDot(graph: SmGraph, title: string): string {
  const out = [
    `// ${HEADER}`,
    `digraph ${dotString(title)} {`,
    `  label=${dotString(title)}; labelloc="t"; fontname="Helvetica"; fontsize=16;`,
    '  rankdir=TB; nodesep=0.4; ranksep=0.45;',
    '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const emit = (g: SmGraph, indent: string): void => {
    const start = `${g.scope}__start`;
    const end = `${g.scope}__end`;
    out.push(
      `${indent}${dotString(start)}${dotAttrs({ shape: 'circle', style: 'filled', fillcolor: 'black', label: '', width: '0.2' })};`,
    );
    out.push(
      `${indent}${dotString(end)}${dotAttrs({ shape: 'doublecircle', style: 'filled', fillcolor: 'black', label: '', width: '0.15' })};`,
    );
    for (const state of g.states) {
      const label = [state.name, ...state.lines].join('\n');
      const attrs = { ...(STATE_STYLE[state.type] ?? {}), label };
      if (state.children) {
        out.push(`${indent}subgraph ${dotString(`cluster_${state.id}`)} {`);
        out.push(
          `${indent}  label=${dotString(`${state.name}: item processor`)}; style="rounded,dashed"; color="#1f4e79"; fontsize=11;`,
        );
        out.push(`${indent}  ${dotString(state.id)}${dotAttrs(attrs)};`);
        emit(state.children, `${indent}  `);
        out.push(
          `${indent}  ${dotString(state.id)} -> ${dotString(`${state.children.scope}__start`)}${dotAttrs({ label: 'per item batch', style: 'dotted' })};`,
        );
        out.push(`${indent}}`);
      } else {
        out.push(`${indent}${dotString(state.id)}${dotAttrs(attrs)};`);
      }
    }
    out.push(`${indent}${dotString(start)} -> ${dotString(g.startAt)};`);
    for (const edge of g.edges) {
      const attrs: Record<string, string | undefined> =
        edge.kind === 'catch'
          ? { label: edge.label, style: 'dashed', color: '#c62828', fontcolor: '#c62828' }
          : { label: edge.label || undefined };
      out.push(`${indent}${dotString(edge.from)} -> ${dotString(edge.to)}${dotAttrs(attrs)};`);
    }
    for (const id of g.ends) out.push(`${indent}${dotString(id)} -> ${dotString(end)};`);
  };
  emit(graph, '  ');
  out.push('}');
  return out.join('\n') + '\n';
}

export function architectureDot(model: ArchModel): string {
  const out = [
    `// ${HEADER}`,
    `digraph ${dotString(model.title)} {`,
    `  label=${dotString(model.title)}; labelloc="t"; fontname="Helvetica"; fontsize=16;`,
    '  rankdir=LR; nodesep=0.3; ranksep=0.9; newrank=true;',
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const group of model.groups) {
    out.push(`  subgraph ${dotString(`cluster_${group.id}`)} {`);
    const outside = group.id === 'G_external';
    out.push(
      `    label=${dotString(group.title)}; style="rounded${outside ? ',dashed' : ',filled'}"; fillcolor="#f4f6f8"; color="#8899aa"; fontsize=11;`,
    );
    for (const node of group.nodes) {
      out.push(
        `    ${dotString(node.id)}${dotAttrs({ label: node.lines.join('\n'), fillcolor: outside ? '#fff3cd' : undefined })};`,
      );
    }
    out.push('  }');
  }
  for (const e of model.edges) {
    out.push(
      `  ${dotString(e.from)} -> ${dotString(e.to)}${dotAttrs({ label: e.label || undefined, style: e.dashed ? 'dashed' : undefined })};`,
    );
  }
  out.push('}');
  return out.join('\n') + '\n';
}
