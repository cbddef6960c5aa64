/**
 * Errors as values. Protocol code returns a Result so that the HTTP layer decides how a failure
 * reaches the client (HTTP status, `ERR` pkt-line, side-band 3 or an `unpack`/`ng` report line):
 * the same parse error means a 400 before any byte was sent and a band-3 message after.
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}
