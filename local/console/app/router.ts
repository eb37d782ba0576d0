/** The views by location hash: `#/executions`, `#/executions/<name>`, `#/backlog`, `#/schedule`. */
import { useEffect, useState } from 'preact/hooks';

/** The views the header links to, with their titles (an execution is reached from the list). */
export const TOP_VIEWS = {
  executions: 'Executions',
  backlog: 'Backlog & transactions',
  schedule: 'Schedule',
} as const;
export type TopView = keyof typeof TOP_VIEWS;

export type Route =
  { readonly view: TopView } | { readonly view: 'execution'; readonly name: string };

function isTopView(value: string | undefined): value is TopView {
  return value !== undefined && Object.hasOwn(TOP_VIEWS, value);
}

function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  const [first, second] = parts;
  if (first === 'executions' && second !== undefined && second !== '') {
    try {
      return { view: 'execution', name: decodeURIComponent(parts.slice(1).join('/')) };
    } catch {
      return { view: 'executions' };
    }
  }
  return { view: isTopView(first) ? first : 'executions' };
}

export function hrefOf(route: Route): string {
  return route.view === 'execution'
    ? `#/executions/${encodeURIComponent(route.name)}`
    : `#/${route.view}`;
}

export function executionHref(name: string): string {
  return hrefOf({ view: 'execution', name });
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
