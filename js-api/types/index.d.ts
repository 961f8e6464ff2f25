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
}
