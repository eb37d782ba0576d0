/** The views by location hash: `#/executions`, `#/executions/<name>`, `#/backlog`, `#/schedule`. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly view: 'executions' }
  | { readonly view: 'execution'; readonly name: string }
  | { readonly view: 'backlog' }
  | { readonly view: 'schedule' };

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  const [first, second] = parts;
  if (first === 'executions' && second !== undefined && second !== '') {
    try {
      return { view: 'execution', name: decodeURIComponent(parts.slice(1).join('/')) };
    } catch {
      return { view: 'executions' };
    }
  }
  if (first === 'backlog') return { view: 'backlog' };
  if (first === 'schedule') return { view: 'schedule' };
  return { view: 'executions' };
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'execution':
      return `#/executions/${encodeURIComponent(route.name)}`;
    case 'executions':
    case 'backlog':
    case 'schedule':
      return `#/${route.view}`;
  }
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
