import { useRef, useState } from 'preact/hooks';

/**
 * One action's request at a time: `run` does nothing while the last one has not settled (a double click
 * sends one request), and `busy` says so, for the button's `aria-disabled`.
 */
export function useBusy(): [busy: boolean, run: (action: () => Promise<unknown>) => void] {
  const [busy, setBusy] = useState(false);
  const running = useRef(false);
  const run = (action: () => Promise<unknown>) => {
    if (running.current) {
      return;
    }
    running.current = true;
    setBusy(true);
    void action().finally(() => {
      running.current = false;
      setBusy(false);
    });
  };
  return [busy, run];
}
