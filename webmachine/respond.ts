import type { ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encodeWhole, encoderFor } from './content-coding.js';
import type { FlowState } from './flow-state.js';
import type { Halt } from './halt.js';
import { httpDateNow } from './http-date.js';
import { all, andThen, type Maybe } from './maybe.js';
import { PROBLEM_MEDIA_TYPE, problem, type ProblemInit, renderProblem } from './problem.js';
import { ifRangeHolds, parseRange } from './range.js';
import type { Request } from './request.js';
import { SizedBody, type Response } from './response.js';

const NO_BODY = new Set([204, 304]);

function toBuffer(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Error answers get an RFC 9457 body unless a callback wrote one. */
function addProblemBody(res: Response, status: number, halt: Halt | undefined, typeOf: ProblemTypeOf | undefined): void {
  if (status < 400 || res.body !== undefined) return;
  res.body = renderProblem(problem(status, withType(status, halt?.problem ?? {}, typeOf)));
  res.setHeader('Content-Type', PROBLEM_MEDIA_TYPE);
  res.removeHeader('content-encoding');
  res.removeHeader('content-language');
}

type ProblemTypeOf = (status: number) => string | undefined;

/** A problem that names no type gets the application's type for its status (EngineOptions.problemType). */
export function withType(status: number, init: ProblemInit, typeOf: ProblemTypeOf | undefined): ProblemInit {
  if (init.type !== undefined || typeOf === undefined) return init;
  const type = typeOf(status);
  return type === undefined ? init : { ...init, type };
}

/** Re-encodes a body into the negotiated charset (E6's winner). Streams are not converted. */
function convertCharset(f: FlowState, body: Buffer): Maybe<Buffer> {
  const { charset } = f.resource.chosen;
  // A charset was chosen, so E5/E6 saw a non-null list containing it.
  return andThen(f.charsets(), (charsets) => toBuffer(charsets!.find(([name]) => name === charset)![1](body)));
}

/** RFC 9110 section 14: a single byte range of a GET body of known length, identity-coded. */
function applyRange(f: FlowState, res: Response, body: Buffer): Maybe<{ status: number; body: Buffer }> {
  const header = f.req.header('range');
  if (header === undefined || f.method !== 'GET' || f.resource.chosen.encoding !== 'identity') return { status: 200, body };
  const ifRange = f.req.header('if-range');
  if (ifRange === undefined) return rangeOf(f, res, body, header);
  return andThen(all(f.etag(), f.lastModified()), ([tag, modified]) => (ifRangeHolds(ifRange, tag, modified) ? rangeOf(f, res, body, header) : { status: 200, body }));
}

function rangeOf(f: FlowState, res: Response, body: Buffer, header: string): { status: number; body: Buffer } {
  const range = parseRange(header, body.length);
  if (range === undefined) return { status: 200, body };
  f.trace.push('range');
  if (range === 'unsatisfiable') return unsatisfiable(res, body.length, f.opts.problemType);
  res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${body.length}`);
  return { status: 206, body: body.subarray(range.start, range.end + 1) };
}

/** 416 with the size the client can ask within. */
function unsatisfiable(res: Response, size: number, typeOf: ProblemTypeOf | undefined): { status: number; body: Buffer } {
  res.setHeader('Content-Range', `bytes */${size}`);
  res.setHeader('Content-Type', PROBLEM_MEDIA_TYPE);
  return { status: 416, body: renderProblem(problem(416, withType(416, { detail: `The body has ${size} bytes.` }, typeOf))) };
}

type Payload = string | Buffer | Readable | undefined;

/** What the writing stages share. */
interface Answer {
  f: FlowState | undefined;
  req: Request;
  res: Response;
  out: ServerResponse;
  representation: boolean;
  trace: readonly string[] | undefined;
}

/**
 * Writes the finished response: Date on every answer, problem bodies for errors, charset and
 * content-coding for representations (2xx and 300), byte ranges, no body for HEAD, 204 and 304,
 * and the X-Decision-Trace header when `trace` is given. Answers the status written; synchronously
 * unless a stage had to wait (a callback's promise, compression, a stream).
 */
export function writeResponse(
  f: FlowState | undefined,
  req: Request,
  res: Response,
  status: number,
  halt: Halt | undefined,
  out: ServerResponse,
  trace?: readonly string[],
  problemType?: ProblemTypeOf,
): Maybe<number> {
  addProblemBody(res, status, halt, problemType);
  res.setHeader('Date', httpDateNow());
  if (NO_BODY.has(status)) {
    res.body = undefined;
    res.removeHeader('content-type');
    // RFC 9110 15.4.5: a 304 carries the validators and caching fields, not representation metadata.
    res.removeHeader('content-language');
  }
  const answer: Answer = { f, req, res, out, representation: (status >= 200 && status < 300) || status === 300, trace };
  if (res.body instanceof SizedBody) return andThen(openSized(f, req, res, status, res.body), (opened) => encodeAndSend(answer, opened.status, opened.body));
  // Strings stay strings until they must be bytes: Node writes a string body in one go with the
  // head of the response.
  const body: Payload = res.body === undefined || typeof res.body === 'string' || res.body instanceof Readable ? res.body : toBuffer(res.body);
  if (f === undefined || !answer.representation || body === undefined || body instanceof Readable) return encodeAndSend(answer, status, body);
  return andThen(shapeBody(f, res, status, body), (shaped) => encodeAndSend(answer, shaped.status, shaped.body));
}

/** A representation's whole body in the negotiated charset, and the byte range asked for. */
function shapeBody(f: FlowState, res: Response, status: number, body: string | Buffer): Maybe<{ status: number; body: string | Buffer }> {
  const converted = f.resource.chosen.charset !== undefined ? convertCharset(f, toBuffer(body)) : body;
  if (status !== 200) return andThen(converted, (b) => ({ status, body: b }));
  return andThen(converted, (b) =>
    andThen(f.ask(f.resource.acceptRanges()), (ranges) => {
      if (!ranges) return { status, body: b };
      res.setHeader('Accept-Ranges', 'bytes');
      return applyRange(f, res, toBuffer(b));
    }),
  );
}

/**
 * A sized body becomes the stream of what is sent: the whole, or the one byte range asked for
 * (same rules as a whole body: GET, identity coding, If-Range), with its Content-Length; for HEAD
 * and statuses without a body nothing is opened.
 */
function openSized(f: FlowState | undefined, req: Request, res: Response, status: number, sized: SizedBody): Maybe<{ status: number; body: Payload }> {
  const whole = (): { status: number; body: Payload } => {
    res.setHeader('Content-Length', String(sized.size));
    return { status, body: req.method === 'HEAD' || NO_BODY.has(status) ? undefined : sized.open(0, sized.size - 1) };
  };
  if (f === undefined || status !== 200) return whole();
  return andThen(f.ask(f.resource.acceptRanges()), (ranges) => {
    if (!ranges) return whole();
    res.setHeader('Accept-Ranges', 'bytes');
    const header = req.header('range');
    if (header === undefined || f.method !== 'GET' || f.resource.chosen.encoding !== 'identity') return whole();
    const ifRange = req.header('if-range');
    const holds = ifRange === undefined ? true : andThen(all(f.etag(), f.lastModified()), ([tag, modified]) => ifRangeHolds(ifRange, tag, modified));
    return andThen(holds, (ok) => {
      const range = ok ? parseRange(header, sized.size) : undefined;
      if (range === undefined) return whole();
      f.trace.push('range');
      if (range === 'unsatisfiable') return unsatisfiable(res, sized.size, f.opts.problemType);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${sized.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
      return { status: 206, body: sized.open(range.start, range.end) };
    });
  });
}

/** A whole body is compressed before it is sent (its length is then known); a stream as it goes. */
function encodeAndSend(a: Answer, status: number, body: Payload): Maybe<number> {
  const coding = a.f !== undefined && a.representation && body !== undefined ? a.f.resource.chosen.encoding : 'identity';
  if (coding === 'identity' || body === undefined || body instanceof Readable) return send(a, status, body, coding);
  a.res.setHeader('Content-Encoding', coding);
  return encodeWhole(coding, toBuffer(body)).then((encoded) => send(a, status, encoded, 'identity'));
}

function send(a: Answer, status: number, body: Payload, coding: string): Maybe<number> {
  const { req, res, out } = a;
  if (coding !== 'identity') {
    res.setHeader('Content-Encoding', coding);
    res.removeHeader('content-length');
  } else if (body !== undefined && !(body instanceof Readable)) {
    res.setHeader('Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length));
  } else if (body === undefined && !NO_BODY.has(status) && !(req.method === 'HEAD' && a.representation)) {
    res.setHeader('Content-Length', '0');
  }
  // RFC profile: no Content-Type on an answer without content (v3 keeps F6's header).
  if (body === undefined && a.f?.rfc !== false && !(req.method === 'HEAD' && a.representation)) res.removeHeader('content-type');
  // A body refused unread (or cut off at its limit) is read and dropped after the answer, bounded,
  // so the client gets to read it. (A body nobody touched on a success is drained by Node itself.)
  if (req.bodyPending && (status >= 400 || req.bodyRead)) req.lingerAfterResponse();
  if (a.trace !== undefined) res.setHeader('X-Decision-Trace', a.trace.join(','));
  out.statusCode = status;
  res.copyTo(out);
  if (body === undefined || req.method === 'HEAD') {
    if (body instanceof Readable) body.destroy();
    out.end();
  } else if (coding === 'identity' && !(body instanceof Readable)) {
    out.end(body);
  } else {
    return sendStream(body instanceof Readable ? body : Readable.from([toBuffer(body)]), coding, out).then(() => status);
  }
  return status;
}

/**
 * Streams a body (through the content-coding's encoder). The response is not part of the
 * pipeline: a source that fails before its first byte (a file that cannot be opened...) leaves
 * the response untouched, so the caller can still answer a 500 problem; a client that goes away
 * stops the source.
 */
async function sendStream(source: Readable, coding: string, out: ServerResponse): Promise<void> {
  const gate = new PassThrough();
  gate.pipe(out);
  const abort = (): void => {
    if (!out.writableFinished) gate.destroy(new Error('the client closed the connection'));
  };
  out.once('close', abort);
  try {
    if (coding === 'identity') await pipeline(source, gate);
    else await pipeline(source, encoderFor(coding), gate);
  } catch (err) {
    gate.unpipe(out);
    throw err;
  } finally {
    out.off('close', abort);
  }
}
