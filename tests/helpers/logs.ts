import type { DestinationStream } from 'pino';

export interface LogCapture {
  stream: DestinationStream;
  /** Every line logged so far, parsed. */
  entries(): Record<string, unknown>[];
  /** Every line logged so far, as written. */
  text(): string;
}

/** Collects what the app logs, to assert on it (and on what must never be in it). */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  return {
    stream: {
      write(line: string) {
        lines.push(line);
      },
    },
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}
