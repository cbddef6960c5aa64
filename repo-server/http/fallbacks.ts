import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { PROBLEM_MEDIA_TYPE, problem, renderProblem } from '../../webmachine/index.js';
import type { Logger } from '../observability/logger.js';
import { pathOf } from './front-door.js';
import { problemTypeForStatus } from './problem-types.js';
import { storageFailure } from './storage-failures.js';

/** A problem answer outside any resource (no route, bad path, a failure before the engine ran). */
export function sendProblem(req: IncomingMessage, res: ServerResponse, status: number, detail: string): void {
  const body = Buffer.from(renderProblem(problem(status, { type: problemTypeForStatus(status), detail })));
  res.statusCode = status;
  res.setHeader('Content-Type', `${PROBLEM_MEDIA_TYPE}; charset=utf-8`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', String(body.length));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A path no route serves: a 404 problem like every other error (not Express's HTML page). */
export function notFoundHandler(): RequestHandler {
  return (req, res) => sendProblem(req, res, 404, `Nothing is served at ${req.path}.`);
}

/** What an error before a resource ran answers: a bad percent-encoding is the client's (400). */
function failureStatus(err: unknown): { status: number; detail: string } | null {
  const status = (err as { status?: unknown }).status;
  if (err instanceof URIError || status === 400) return { status: 400, detail: 'The request path is not valid percent-encoded UTF-8.' };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, detail: 'The request was refused.' };
  return null;
}

/** Storage refusing for now: 503 with Retry-After (logged at warn); anything else is ours: 500, logged, never a stack trace in the body. */
export function answerFailure(logger: Logger, err: unknown, req: IncomingMessage, res: ServerResponse): void {
  const known = failureStatus(err);
  if (known !== null) return sendProblem(req, res, known.status, known.detail);
  const unavailable = storageFailure(err);
  if (unavailable !== null) {
    logger.warn({ method: req.method, path: pathOf(req.url), cause: unavailable.cause }, 'storage unavailable');
    res.setHeader('Retry-After', String(unavailable.retryAfter));
    return sendProblem(req, res, 503, String(unavailable.detail));
  }
  logger.error({ err, method: req.method, path: pathOf(req.url) }, 'unhandled error');
  sendProblem(req, res, 500, 'Internal error.');
}

/** Errors in Express itself (the git and web client routers). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    answerFailure(logger, err, req, res);
  };
}
