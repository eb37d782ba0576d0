/**
 * The operator console's browser app (docs/console.md), bundled by the console server with
 * esbuild. Preact + htm (tagged templates, no JSX step); a hash-based switch between the views.
 * Everything shown is text rendered by Preact (escaped); the only markup inserted as such is the
 * state-machine graph, an SVG served by our own server (views/graph.ts).
 */
import { render, type VNode } from 'preact';
import { useEffect } from 'preact/hooks';
import { readSession } from './api';
import { html } from './html';
import { usePoll } from './poll';
import { type Route, TOP_VIEWS, useRoute } from './router';
import { BacklogView } from './views/backlog';
import { ExecutionDetailView } from './views/execution-detail';
import { ExecutionsView } from './views/executions';
import { Header } from './views/header';
import { ScheduleView } from './views/schedule';

/** GET session: who the runtime is (startedAt, token); also the connection's heartbeat. */
const SESSION_POLL_MS = 3_000;

const TITLES: Record<Route['view'], string> = { ...TOP_VIEWS, execution: 'Execution' };

function App(): VNode {
  const route = useRoute();
  usePoll('session', readSession, () => SESSION_POLL_MS);
  useEffect(() => {
    document.title = `${TITLES[route.view]}${route.view === 'execution' ? `: ${route.name}` : ''} · txconfirm console`;
  }, [route]);
  let view: VNode;
  switch (route.view) {
    case 'execution':
      view = html`<${ExecutionDetailView} key=${route.name} name=${route.name} />`;
      break;
    case 'backlog':
      view = html`<${BacklogView} />`;
      break;
    case 'schedule':
      view = html`<${ScheduleView} />`;
      break;
    case 'executions':
      view = html`<${ExecutionsView} />`;
      break;
  }
  return html`<a class="skip-link" href="#main" onClick=${skipToMain}>Skip to content</a>
    <${Header} route=${route} />
    <main id="main" tabindex="-1" data-testid="main">${view}</main>`;
}

/** The skip link focuses <main> (its href would otherwise be taken for a route). */
function skipToMain(event: Event): void {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function mount(): void {
  let root = document.getElementById('app');
  if (root === null) {
    root = document.createElement('div');
    root.id = 'app';
    document.body.append(root);
  }
  render(html`<${App} />`, root);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', mount, { once: true });
} else {
  mount();
}
