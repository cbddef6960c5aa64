import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** The path of a request target, without its query (which may hold an access token). */
export function pathOf(target: string | undefined): string {
  const t = target ?? '/';
  const query = t.indexOf('?');
  return query < 0 ? t : t.slice(0, query);
}

/** One step every request takes before it is routed; `next(err)` ends the request with a problem. */
export type Step = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The front end's request listener: the steps in order (request id, metrics, rate limits), then
 * `dispatch`. Plain Node rather than Express middleware, because Express's per-request setup
 * costs more CPU than the whole decision flow of a warm read (docs/operations.md, Measured).
 * A step's error or a dispatch that throws or rejects ends the request through `fail` (or cuts the
 * connection when the answer had already begun).
 */
export function frontDoor(
  steps: readonly Step[],
  dispatch: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  fail: (err: unknown, req: IncomingMessage, res: ServerResponse) => void,
): RequestListener {
  return (req, res) => {
    let at = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        if (res.headersSent) res.destroy();
        else fail(err, req, res);
        return;
      }
      const step = steps[at++];
      try {
        if (step !== undefined) step(req, res, next);
        else dispatch(req, res)?.catch(next);
      } catch (e) {
        next(e);
      }
    };
    next();
  };
}
