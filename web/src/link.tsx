import type { ComponentChildren } from 'preact';
import { isPlainClick, navigate } from './router.js';

/** A link that the console follows itself (no reload); a new tab or window still gets the page. */
export function Link({
  href,
  children,
  class: className,
  label,
}: {
  href: string;
  children: ComponentChildren;
  class?: string;
  /** The accessible name, where the text alone says too little (a bare number). */
  label?: string;
}) {
  return (
    <a
      href={href}
      class={className}
      aria-label={label}
      onClick={(event) => {
        if (isPlainClick(event)) {
          event.preventDefault();
          navigate(href);
        }
      }}
    >
      {children}
    </a>
  );
}
