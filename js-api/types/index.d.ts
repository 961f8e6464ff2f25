// TypeScript declarations for the `weir` module. Node's modules (`node:stream`,
// `node:http`, ...) are typed by @types/node; handlers receive Node's
// `http.IncomingMessage` and `http.ServerResponse`.

declare module 'weir' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** weir's version, e.g. `"0.1.0"`. */
  export const version: string;
  /** Versions of weir and of its JavaScript engine. */
  export const versions: { readonly weir: string; readonly v8: string };

  /**
   * A request handler for `weir serve`: the module's default export is this function,
   * or an object with a `request` method of this type.
   */
  export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  export interface HandlerObject {
    request: Handler;
  }

  /** Options of {@link sendFile}. */
  export interface SendFileOptions {
    /**
     * Serve `path` as a URL path under this folder (`..` in any encoding, backslashes,
     * NUL and symbolic links leaving it get 403/404). Without it `path` must be absolute.
     */
    root?: string;
    /** `Cache-Control: public, max-age=<maxAge>` (seconds). */
    maxAge?: number;
    /** `Cache-Control` as given; wins over `maxAge`. */
    cacheControl?: string;
    /** Replaces the Content-Type taken from the file's extension. */
    contentType?: string;
    /** More header fields for 200, 206 and 304 answers; they replace weir's of the same name. */
    headers?: Record<string, string | number | readonly string[]>;
    /** More ranges than this in one request get the whole file (default 16; 0 turns ranges off). */
    maxRanges?: number;
    /** A missing file rejects with `code: 'ENOENT'` and sends nothing, instead of a 404. */
    fallthrough?: boolean;
  }

  /**
   * Answers `req` with a file, natively: Range (206, multipart/byteranges, 416),
   * conditional requests (304, 412), ETag, Last-Modified, HEAD. Resolves with the status
   * sent, or 0 when the client went away first.
   */
  export function sendFile(req: IncomingMessage, res: ServerResponse, path: string, options?: SendFileOptions): Promise<number>;
}
