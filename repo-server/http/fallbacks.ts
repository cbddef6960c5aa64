import type { ErrorRequestHandler, RequestHandler } from 'express';
import { PROBLEM_MEDIA_TYPE, problem, renderProblem } from '../../webmachine/index.js';
import type { Logger } from '../observability/logger.js';

function send(res: Parameters<RequestHandler>[1], status: number, detail: string): void {
  res.status(status).type(PROBLEM_MEDIA_TYPE).set('Cache-Control', 'no-store').send(renderProblem(problem(status, { detail })));
}

/** A path no route serves: a 404 problem like every other error (not Express's HTML page). */
export function notFoundHandler(): RequestHandler {
  return (req, res) => send(res, 404, `Nothing is served at ${req.path}.`);
}

/**
 * Errors that happen before a resource runs, in Express itself: a path that is not valid
 * percent-encoded UTF-8 is the client's fault (400); anything else is ours (500, logged).
 * Never a stack trace in the body.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: unknown }).status;
    if (err instanceof URIError || status === 400) return send(res, 400, 'The request path is not valid percent-encoded UTF-8.');
    if (typeof status === 'number' && status >= 400 && status < 500) return send(res, status, 'The request was refused.');
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    return send(res, 500, 'Internal error.');
  };
}
