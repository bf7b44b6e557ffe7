// A router of a few lines over the History API: two pages, so a library would add more than it saves.
import { useEffect, useState } from 'preact/hooks';

const CHANGE = 'console:navigate';

/** Goes to `url` without reloading: a new history entry, or the current one replaced. */
export function navigate(url: string, { replace = false }: { replace?: boolean } = {}): void {
  if (replace) {
    history.replaceState(null, '', url);
  } else {
    history.pushState(null, '', url);
  }
  window.dispatchEvent(new Event(CHANGE));
  if (!replace) {
    window.scrollTo(0, 0);
  }
}

export interface Place {
  pathname: string;
  search: string;
}

function here(): Place {
  return { pathname: location.pathname, search: location.search };
}

/** The current path and query, updated on navigate() and on the back and forward buttons. */
export function useLocation(): Place {
  const [place, setPlace] = useState(here);
  useEffect(() => {
    const update = () => {
      setPlace(here());
    };
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return place;
}

/** A click that the page handles: the main button, without a key that asks for a new tab or window. */
export function isPlainClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}
