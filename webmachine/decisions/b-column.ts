import { createHash } from 'node:crypto';
import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import type { Step } from './types.js';

/** Column B: validity, authentication and request-body checks, in the diagram's order. */

export async function b13(f: FlowState): Promise<Step> {
  return (await f.ask(f.resource.serviceAvailable())) ? 'b12' : 503;
}

export async function b12(f: FlowState): Promise<Step> {
  const known = await f.ask(f.resource.knownMethods());
  return known.includes(f.method) ? 'b11' : halt(501, { detail: `The method ${f.method} is not implemented by this server.` });
}

export async function b11(f: FlowState): Promise<Step> {
  return (await f.ask(f.resource.uriTooLong())) ? 414 : 'b10';
}

export async function b10(f: FlowState): Promise<Step> {
  const allowed = await f.ask(f.resource.allowedMethods());
  if (allowed.includes(f.method)) return 'b9';
  f.res.setHeader('Allow', allowed.join(', '));
  return halt(405, { detail: `Allowed methods: ${allowed.join(', ')}.` });
}

export async function b9(f: FlowState): Promise<Step> {
  return f.req.header('content-md5') !== undefined ? 'b9a' : 'b9b';
}

/** Sub-node of B9: Content-MD5 (RFC 1864, base64 of the binary digest). */
export async function b9a(f: FlowState): Promise<Step> {
  const verdict = await f.ask(f.resource.validateContentChecksum());
  if (verdict === true) return 'b9b';
  const mismatch = halt(400, { detail: 'Content-MD5 does not match the request body.' });
  if (verdict === false) return mismatch;
  const body = await f.req.body();
  const digest = createHash('md5').update(body).digest('base64');
  return digest === (f.req.header('content-md5') ?? '').trim() ? 'b9b' : mismatch;
}

/** The drawing's B9: malformed request. */
export async function b9b(f: FlowState): Promise<Step> {
  return (await f.ask(f.resource.malformedRequest())) ? 400 : 'b8';
}

export async function b8(f: FlowState): Promise<Step> {
  const answer = await f.ask(f.resource.isAuthorized());
  if (answer === true) return 'b7';
  if (typeof answer === 'string') {
    f.res.setHeader('WWW-Authenticate', answer);
    return 401;
  }
  // RFC 9110 15.5.2: a 401 must carry a challenge; a resource that gives none is misconfigured.
  if (f.rfc) throw new Error('is_authorized answered false without a challenge for WWW-Authenticate');
  return 401;
}

export async function b7(f: FlowState): Promise<Step> {
  return (await f.ask(f.resource.forbidden())) ? 403 : 'b6';
}

export async function b6(f: FlowState): Promise<Step> {
  return (await f.ask(f.resource.validContentHeaders())) ? 'b5' : 501;
}

export async function b5(f: FlowState): Promise<Step> {
  return (await f.ask(f.resource.knownContentType())) ? 'b4' : 415;
}

export async function b4(f: FlowState): Promise<Step> {
  if (await f.ask(f.resource.validEntityLength())) return 'b3';
  return halt(413, { detail: `The request body is larger than the limit of ${f.opts.maxBodyBytes} bytes.` });
}

export async function b3(f: FlowState): Promise<Step> {
  if (f.method !== 'OPTIONS') return 'c3';
  const extra = await f.ask(f.resource.options());
  for (const [name, value] of Object.entries(extra)) f.res.setHeader(name, value);
  // RFC 9110 9.3.7: advertise the allowed methods.
  if (f.rfc && !f.res.hasHeader('allow')) f.res.setHeader('Allow', (await f.ask(f.resource.allowedMethods())).join(', '));
  return 200;
}
