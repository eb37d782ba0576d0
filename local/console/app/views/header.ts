/** The header: the views as links, the connection indicator, the runtime's identity. */
import type { VNode } from 'preact';
import { connection } from '../connection';
import { html } from '../html';
import { hrefOf, type Route, TOP_VIEWS, type TopView } from '../router';
import { useStore } from '../store';
import { Time } from './common';

const LINKS = Object.entries(TOP_VIEWS) as [TopView, string][];

export function Header(props: { route: Route }): VNode {
  const { state, session, restarts } = useStore(connection.store);
  const active = props.route.view === 'execution' ? 'executions' : props.route.view;
  const stateText =
    state === 'connected' ? 'connected' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
  return html`<header class="top" data-testid="header">
    <div class="brand">
      <span class="brand-name">txconfirm console</span>
      ${
        session === null
          ? null
          : html`<span
              class="machine"
              data-testid="state-machine-name"
              title=${session.stateMachineArn}
              >${session.stateMachineName} · ${session.region}</span
            >`
      }
    </div>
    <nav aria-label="Views">
      <ul>
        ${LINKS.map(
          ([view, title]) =>
            html`<li key=${view}>
              <a
                href=${hrefOf({ view })}
                data-testid=${`nav-${view}`}
                aria-current=${active === view ? 'page' : undefined}
                >${title}</a
              >
            </li>`,
        )}
      </ul>
    </nav>
    <div class="runtime">
      <span
        class=${`connection connection-${state}`}
        role="status"
        aria-live="polite"
        data-testid="connection-status"
        data-state=${state}
        ><span class="dot" aria-hidden="true"></span>${stateText}</span
      >
      <span class="started">
        runtime started <${Time} iso=${session?.startedAt} testid="runtime-started-at" />
        ${
          restarts > 0
            ? html`<span class="restarted" data-testid="runtime-restarted"> (restarted)</span>`
            : null
        }
      </span>
    </div>
  </header>`;
}
