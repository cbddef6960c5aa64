import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encoderFor } from './content-coding.js';
import type { FlowState } from './flow-state.js';
import type { Halt } from './halt.js';
import { formatHttpDate } from './http-date.js';
import { PROBLEM_MEDIA_TYPE, problem, renderProblem } from './problem.js';
import { ifRangeHolds, parseRange } from './range.js';
import type { Request } from './request.js';
import type { Body, Response } from './response.js';

const NO_BODY = new Set([204, 304]);

function toBuffer(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Error answers get an RFC 9457 body unless a callback wrote one. */
function addProblemBody(res: Response, status: number, halt: Halt | undefined): void {
  if (status < 400 || res.body !== undefined) return;
  res.body = renderProblem(problem(status, halt?.problem));
  res.setHeader('Content-Type', PROBLEM_MEDIA_TYPE);
  res.removeHeader('content-encoding');
  res.removeHeader('content-language');
}

/** Re-encodes text bodies into the negotiated charset (E6's winner). */
async function convertCharset(f: FlowState, body: Body): Promise<Body> {
  const { charset } = f.resource.chosen;
  if (charset === undefined || body instanceof Readable) return body;
  const charsets = (await f.ask(f.resource.charsetsProvided())) ?? [];
  const converter = charsets.find(([name]) => name.toLowerCase() === charset.toLowerCase())?.[1];
  return converter === undefined ? body : converter(toBuffer(body));
}

/** RFC 9110 section 14: a single byte range of a GET body of known length, identity-coded. */
async function applyRange(f: FlowState, res: Response, body: Buffer): Promise<{ status: number; body: Buffer }> {
  const header = f.req.header('range');
  if (header === undefined || f.method !== 'GET' || f.resource.chosen.encoding !== 'identity') return { status: 200, body };
  const ifRange = f.req.header('if-range');
  if (ifRange !== undefined && !ifRangeHolds(ifRange, await f.etag(), await f.lastModified())) return { status: 200, body };
  const range = parseRange(header, body.length);
  if (range === undefined) return { status: 200, body };
  f.trace.push('range');
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${body.length}`);
    res.setHeader('Content-Type', PROBLEM_MEDIA_TYPE);
    return { status: 416, body: renderProblem(problem(416, { detail: `The body has ${body.length} bytes.` })) };
  }
  res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${body.length}`);
  return { status: 206, body: body.subarray(range.start, range.end + 1) };
}

/**
 * Writes the finished response: Date on every answer, problem bodies for errors, charset and
 * content-coding for successful bodies, byte ranges, and no body for HEAD, 204 and 304.
 */
export async function writeResponse(
  f: FlowState | undefined,
  req: Request,
  res: Response,
  status: number,
  halt: Halt | undefined,
  out: ServerResponse,
): Promise<number> {
  addProblemBody(res, status, halt);
  res.setHeader('Date', formatHttpDate(new Date()));
  if (NO_BODY.has(status)) {
    res.body = undefined;
    res.removeHeader('content-type');
  }
  let body = res.body;
  const success = status >= 200 && status < 300;
  if (f !== undefined && success && body !== undefined) {
    body = await convertCharset(f, body);
    if (status === 200 && !(body instanceof Readable) && (await f.ask(f.resource.acceptRanges()))) {
      res.setHeader('Accept-Ranges', 'bytes');
      ({ status, body } = await applyRange(f, res, toBuffer(body)));
    }
  }
  const coding = f !== undefined && success && body !== undefined ? f.resource.chosen.encoding : 'identity';
  if (coding !== 'identity') {
    res.setHeader('Content-Encoding', coding);
    res.removeHeader('content-length');
  } else if (body !== undefined && !(body instanceof Readable)) {
    res.setHeader('Content-Length', String(toBuffer(body).length));
  } else if (body === undefined && !NO_BODY.has(status) && !(req.method === 'HEAD' && success)) {
    res.setHeader('Content-Length', '0');
  }
  // RFC profile: no Content-Type on an answer without content (v3 keeps F6's header).
  if (body === undefined && f?.rfc !== false && !(req.method === 'HEAD' && success)) res.removeHeader('content-type');
  // A body we never read may still be arriving; reusing the connection would misparse it.
  if (status >= 400 && req.hasBody && !req.bodyRead) res.setHeader('Connection', 'close');
  out.statusCode = status;
  for (const [name, value] of res.headerEntries()) out.setHeader(name, value);
  if (body === undefined || req.method === 'HEAD') {
    if (body instanceof Readable) body.destroy();
    out.end();
    return status;
  }
  const source = body instanceof Readable ? body : Readable.from([toBuffer(body)]);
  if (coding === 'identity') await pipeline(source, out);
  else await pipeline(source, encoderFor(coding), out);
  return status;
}
