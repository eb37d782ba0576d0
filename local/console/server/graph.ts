/**
 * `GET /console/graph.svg`: the state-machine graph, rendered from the runtime's synthesized
 * definition by the project's diagram generator (tools/diagrams: the model, its DOT, the pinned
 * WASM Graphviz) — the same picture as diagrams/state-machine.svg, never a hand-drawn copy.
 *
 * Graphviz titles each node with its diagram id (a state name with `?` and the like made `_`,
 * prefixed inside a Map's item processor), so each state's node group is marked with the state's
 * real name for the app to select: `data-state="<name>"` for a top-level state,
 * `data-item-state="<name>" data-map-state="<Map>"` for a state of a Map's item processor, and
 * the processor's cluster `data-map-state="<Map>"`.
 */
import { renderSvg, stateMachineDiagram } from '../../../tools/diagrams/generate';
import type { SmGraph } from '../../../tools/diagrams/state-machine-model';
import type { LocalStack } from '../../stack/stack-template';
import { htmlEscape } from './shell';

/** Where a diagram id's state is: its name, and the Map whose item processor holds it. */
interface StatePlace {
  readonly name: string;
  readonly map?: string;
}

/** Every state of the graph by diagram id, item processors included. */
function statePlaces(graph: SmGraph, map?: string): Map<string, StatePlace> {
  const places = new Map<string, StatePlace>();
  for (const state of graph.states) {
    places.set(state.id, { name: state.name, ...(map === undefined ? {} : { map }) });
    if (state.children) {
      for (const [id, place] of statePlaces(state.children, state.name)) places.set(id, place);
    }
  }
  return places;
}

/** The text of an SVG `<title>` (Graphviz writes `&#45;`, `&amp;` and the like). */
function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (entity, code: string) => {
    const lower = code.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? entity;
  });
}

const NODE_GROUP = /<g id="([^"]*)" class="(node|cluster)">(\s*<title>)([^<]*)(<\/title>)/g;

/** The SVG with the data attributes above on the groups of the states and Map clusters. */
function markStates(svg: string, graph: SmGraph): string {
  const places = statePlaces(graph);
  const mapsByClusterId = new Map<string, string>();
  for (const [id, place] of places) mapsByClusterId.set(`cluster_${id}`, place.name);
  return svg.replace(
    NODE_GROUP,
    (whole, groupId: string, kind: string, open: string, title: string, close: string) => {
      const id = xmlUnescape(title);
      let attributes: string;
      if (kind === 'cluster') {
        const map = mapsByClusterId.get(id);
        if (map === undefined) return whole;
        attributes = ` data-map-state="${htmlEscape(map)}"`;
      } else {
        const place = places.get(id);
        if (place === undefined) return whole;
        attributes =
          place.map === undefined
            ? ` data-state="${htmlEscape(place.name)}"`
            : ` data-item-state="${htmlEscape(place.name)}" data-map-state="${htmlEscape(place.map)}"`;
      }
      return `<g id="${groupId}" class="${kind}"${attributes}>${open}${title}${close}`;
    },
  );
}

/** The marked SVG of the stack's state machine (Graphviz is loaded at the first call). */
export async function stateMachineGraphSvg(stack: LocalStack): Promise<string> {
  const { graph, dot } = stateMachineDiagram(stack);
  return markStates(await renderSvg(dot), graph);
}
