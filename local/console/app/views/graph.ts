/**
 * The state-machine graph: the SVG the server renders from the synthesized definition
 * (CONSOLE_GRAPH_PATH), fetched as text and parsed as SVG (DOMParser, then importNode: no
 * innerHTML). Each state's node group carries `data-state="<name>"` (added by the server); the
 * visited, current and failed states get classes styled in console.css.
 */
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { STATE } from '../../../../lambdas/contracts';
import { CONSOLE_GRAPH_PATH } from '../../contract';
import { html } from '../html';

let graphText: Promise<string> | undefined;

/** Fetched once per page (the definition does not change while the page is open). */
function loadGraph(): Promise<string> {
  graphText ??= fetch(CONSOLE_GRAPH_PATH, { cache: 'no-store' }).then(async (res) => {
    if (!res.ok) throw new Error(`the graph: HTTP ${res.status}`);
    return res.text();
  });
  graphText.catch(() => {
    graphText = undefined;
  });
  return graphText;
}

/** The SVG element of the text, stripped of anything active (it is ours, but not trusted blindly). */
function parseSvg(text: string): SVGSVGElement {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length > 0) {
    throw new Error('the graph is not an SVG');
  }
  for (const el of Array.from(root.querySelectorAll('script, foreignObject, iframe'))) el.remove();
  for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
    for (const attr of Array.from(el.attributes)) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.toLowerCase().startsWith('on') || value.startsWith('javascript:')) {
        el.removeAttribute(attr.name);
      }
    }
  }
  const svg = document.importNode(root, true) as unknown as SVGSVGElement;
  // Scaled by CSS (the viewBox stays): fit to the width, or at its own size when zoomed.
  svg.dataset.width = svg.getAttribute('width') ?? '';
  svg.dataset.height = svg.getAttribute('height') ?? '';
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('aria-hidden', 'true');
  return svg;
}

const STATE_CLASSES = {
  visited: 'state-visited',
  current: 'state-current',
  failed: 'state-failed',
} as const;

function nodeOf(svg: SVGSVGElement, state: string): Element | null {
  return svg.querySelector(`g[data-state="${CSS.escape(state)}"]`);
}

export function StateGraph(props: {
  visited: readonly string[];
  current: string | undefined;
  /** The execution's status: the current state of an unsuccessful one is where it failed. */
  failed: boolean;
  running: boolean;
}): VNode {
  const host = useRef<HTMLDivElement>(null);
  const [svg, setSvg] = useState<SVGSVGElement | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [zoom, setZoom] = useState(false);

  useEffect(() => {
    let live = true;
    loadGraph()
      .then((text) => {
        if (!live || host.current === null) return;
        const element = parseSvg(text);
        host.current.replaceChildren(element);
        setSvg(element);
      })
      .catch((err: unknown) => {
        if (live) setError(err instanceof Error ? err.message : String(err));
      });
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (svg === null) return;
    svg.style.width = zoom ? (svg.dataset.width ?? '') : '';
    svg.style.height = zoom ? (svg.dataset.height ?? '') : '';
    // At its own size the graph is larger than the box: show where the execution is.
    const box = host.current;
    const focus =
      svg.querySelector(`g.${STATE_CLASSES.current}, g.${STATE_CLASSES.failed}`) ??
      nodeOf(svg, STATE.StartRun);
    if (zoom && box !== null && focus !== null) {
      const b = box.getBoundingClientRect();
      const f = focus.getBoundingClientRect();
      box.scrollLeft += f.left + f.width / 2 - (b.left + b.width / 2);
      box.scrollTop += f.top + f.height / 2 - (b.top + b.height / 2);
    }
  }, [svg, zoom]);

  const { visited, current, failed, running } = props;
  useEffect(() => {
    if (svg === null) return;
    const all = Object.values(STATE_CLASSES);
    for (const g of Array.from(svg.querySelectorAll('g[data-state]'))) {
      g.classList.remove(...all);
      g.removeAttribute('data-visits');
    }
    const counts = new Map<string, number>();
    for (const name of visited) counts.set(name, (counts.get(name) ?? 0) + 1);
    for (const [name, n] of counts) {
      const g = nodeOf(svg, name);
      g?.classList.add(STATE_CLASSES.visited);
      g?.setAttribute('data-visits', String(n));
    }
    if (current !== undefined) {
      const g = nodeOf(svg, current);
      if (failed) g?.classList.add(STATE_CLASSES.failed);
      else if (running) g?.classList.add(STATE_CLASSES.current);
    }
  }, [svg, visited.join('\u0000'), current, failed, running]);

  const where =
    current === undefined
      ? `${visited.length} state(s) entered`
      : failed
        ? `stopped in ${current}`
        : running
          ? `now in ${current}`
          : `last in ${current}`;
  return html`<figure class="graph" data-testid="graph">
    <figcaption>
      <span data-testid="graph-where">${where}</span>
      <span class="legend" data-testid="graph-legend" aria-hidden="true">
        <span class="swatch swatch-visited"></span>visited${' '}
        <span class="swatch swatch-current"></span>current${' '}
        <span class="swatch swatch-failed"></span>failed
      </span>
      <button
        type="button"
        data-testid="graph-zoom"
        aria-pressed=${zoom ? 'true' : 'false'}
        onClick=${() => setZoom(!zoom)}
      >
        ${zoom ? 'Fit to width' : 'Actual size'}
      </button>
    </figcaption>
    ${
      error === null
        ? null
        : html`<p class="error-note" role="alert" data-testid="graph-error">
            The graph could not be shown: ${error}
          </p>`
    }
    <div
      ref=${host}
      class=${`graph-host${zoom ? ' zoomed' : ''}`}
      hidden=${svg === null}
      data-testid="state-graph"
      role="img"
      aria-label=${`State machine graph: ${where}`}
      tabindex="0"
    ></div>
  </figure>`;
}
