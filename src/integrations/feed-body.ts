import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Text gathered before it becomes one buffer of the body: few buffers, none very large. */
export const PIECE_CHARS = 256 * 1024;

/** A feed's body, complete: its strong ETag, its length in bytes, and its bytes as a stream. */
export interface FinishedBody {
  etag: string;
  length: number;
  /** The bytes, once: each buffer is let go as it is read, so a slow client holds less and less. */
  stream(): Readable;
}

export interface FeedBody {
  /** Appends text to the body. */
  add(text: string): void;
  /** Ends the body; nothing may be added after. */
  finish(): FinishedBody;
}

/**
 * A feed's body, made a piece at a time: the text is kept as UTF-8 buffers of about PIECE_CHARS each,
 * hashed as they are made, so that the ETag (SHA-256 of the bytes, base64url, 27 characters) is
 * known before the first byte is sent, and the document is never one string nor an object tree. At
 * 100,000 servers the Ansible inventory is about 75 MB: built as an object tree and stringified whole,
 * it took the process's RSS from 150 to 640 MiB; kept as these buffers, to about 330 MiB.
 */
export function feedBody(): FeedBody {
  const hash = createHash('sha256');
  let pieces: Buffer[] = [];
  let pending = '';
  let length = 0;
  function flush() {
    if (pending.length > 0) {
      const bytes = Buffer.from(pending, 'utf8');
      pending = '';
      hash.update(bytes);
      pieces.push(bytes);
      length += bytes.length;
    }
  }
  return {
    add(text) {
      pending += text;
      if (pending.length >= PIECE_CHARS) {
        flush();
      }
    },
    finish() {
      flush();
      const etag = `"${hash.digest('base64url').slice(0, 27)}"`;
      return {
        etag,
        length,
        stream() {
          const taken = pieces;
          pieces = [];
          return Readable.from(released(taken), { objectMode: false });
        },
      };
    },
  };
}

/** Yields each piece and lets it go: the list no longer holds what was sent. */
function* released(pieces: Buffer[]): Generator<Buffer> {
  for (let i = 0; i < pieces.length; i += 1) {
    const piece = pieces[i];
    if (piece !== undefined) {
      pieces[i] = EMPTY;
      yield piece;
    }
  }
}

const EMPTY = Buffer.alloc(0);
