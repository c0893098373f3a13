/** Deepest nesting of objects and arrays a request body may have: our DTOs need 2. */
export const MAX_JSON_DEPTH = 32;

/** A client error body-parser reports: http-errors' shape, so it answers with this status. */
export class BodyShapeError extends Error {
  readonly statusCode: number;
  readonly expose = true;
  readonly type = 'entity.shape.refused';

  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.statusCode = status;
  }
}

/**
 * body-parser's `verify` hook: it sees the raw bytes before JSON.parse. Deeply nested JSON
 * overflows the stack in validation and class-transformer long before the size limit, and a
 * NUL character (`\u0000`) is refused by PostgreSQL's text types: both end as a 400 here, before
 * any code of ours sees the body. One pass over the bytes, no recursion.
 */
export function checkJsonShape(buf: Buffer, encoding = 'utf-8'): void {
  // body-parser also decodes UTF-16 and UTF-32, whose bytes this scan cannot read: JSON on the
  // wire is UTF-8 (RFC 8259), so anything else is refused before it is decoded.
  if (encoding.toLowerCase() !== 'utf-8') throw new BodyShapeError('JSON bodies must be UTF-8', 415);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c /* \ */) {
        // \u0000 in any case of hex digits.
        if (buf[i + 1] === 0x75 && /^0000$/.test(buf.toString('latin1', i + 2, i + 6))) {
          throw new BodyShapeError('JSON strings must not contain the NUL character');
        }
        i++;
      } else if (c === 0x22 /* " */) {
        inString = false;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b /* { [ */) {
      if (++depth > MAX_JSON_DEPTH) throw new BodyShapeError(`JSON must not nest deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x7d || c === 0x5d /* } ] */) {
      depth--;
    }
  }
}
