import { createHash } from 'node:crypto';
import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { andThen, type Maybe } from '../maybe.js';
import type { Step } from './types.js';

/** Column B: validity, authentication and request-body checks, in the diagram's order. */

/** B13: Service available? */
export function b13(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.serviceAvailable()), (available) => (available ? 'b12' : 503));
}

/** B12: Known method? */
export function b12(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.knownMethods()), (known) =>
    known.includes(f.method) ? 'b11' : halt(501, { detail: `The method ${f.method} is not implemented by this server.` }),
  );
}

/** B11: URI too long? */
export function b11(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.uriTooLong()), (tooLong) => (tooLong ? 414 : 'b10'));
}

/** B10: Method allowed? */
export function b10(f: FlowState): Maybe<Step> {
  return andThen(f.allowedMethods(), (allowed) => {
    if (allowed.includes(f.method)) return 'b9';
    f.res.setHeader('Allow', allowed.join(', '));
    return halt(405, { detail: `Allowed methods: ${allowed.join(', ')}.` });
  });
}

/** B9: Content-MD5 present? (then B9a checks it; B9b asks malformed) */
export function b9(f: FlowState): Step {
  return f.req.header('content-md5') !== undefined ? 'b9a' : 'b9b';
}

/** B9a: Content-MD5 matches the body? (RFC 1864, base64 of the binary digest) */
export async function b9a(f: FlowState): Promise<Step> {
  const verdict = await f.ask(f.resource.validateContentChecksum());
  if (verdict === true) return 'b9b';
  const mismatch = halt(400, { detail: 'Content-MD5 does not match the request body.' });
  if (verdict === false) return mismatch;
  const body = await f.req.body();
  const digest = createHash('md5').update(body).digest('base64');
  return digest === f.req.header('content-md5')! ? 'b9b' : mismatch;
}

/** B9b: Malformed request? (the drawing's B9) */
export function b9b(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.malformedRequest()), (malformed) => (malformed ? 400 : 'b8'));
}

/** B8: Authorized? */
export function b8(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.isAuthorized()), (answer) => {
    if (answer === true) return 'b7';
    // RFC 9110 11.6.1: a challenge is at least an auth-scheme, so an empty string is none.
    if (typeof answer === 'string' && (answer.trim() !== '' || !f.rfc)) {
      f.res.setHeader('WWW-Authenticate', answer);
      return 401;
    }
    // RFC 9110 15.5.2: a 401 must carry a challenge; a resource that gives none is misconfigured.
    if (f.rfc) throw new Error('is_authorized answered false without a challenge for WWW-Authenticate');
    return 401;
  });
}

/** B7: Forbidden? */
export function b7(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.forbidden()), (forbidden) => (forbidden ? 403 : 'b6'));
}

/** B6: Okay Content-* headers? */
export function b6(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.validContentHeaders()), (valid) => (valid ? 'b5' : 501));
}

/** B5: Known Content-Type? */
export function b5(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.knownContentType()), (known) => (known ? 'b4' : 415));
}

/** B4: Request entity too large? */
export function b4(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.validEntityLength()), (valid) =>
    valid ? 'b3' : halt(413, { detail: `The request body is larger than the limit of ${f.opts.maxBodyBytes} bytes.` }),
  );
}

/** B3: OPTIONS? */
export function b3(f: FlowState): Maybe<Step> {
  return f.method === 'OPTIONS' ? options(f) : 'c3';
}

async function options(f: FlowState): Promise<Step> {
  const extra = await f.ask(f.resource.options());
  for (const [name, value] of Object.entries(extra)) f.res.setHeader(name, value);
  // RFC 9110 9.3.7: advertise the allowed methods.
  if (f.rfc && !f.res.hasHeader('allow')) f.res.setHeader('Allow', (await f.allowedMethods()).join(', '));
  return 200;
}
