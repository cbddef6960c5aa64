import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express';
import { handle } from './engine.js';
import { type EngineOptions, engineOptions } from './options.js';
import { owesContinue } from './request.js';
import type { ResourceFactory } from './resource.js';

/**
 * Mounts a resource on an Express route: Express routes and runs middleware, the engine decides
 * the response. Route parameters reach the resource as `request.params`.
 * Do not put body-parsing middleware in front: the engine reads bodies itself, after the
 * B column, so 401/413/415 are answered before a byte of the body is accepted.
 */
export function resource(factory: ResourceFactory, options: Partial<EngineOptions> = {}): RequestHandler {
  const opts = engineOptions(options);
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    // Express 5 gives a wildcard (`/{*path}`) as the array of its segments; resources get the path.
    const given = req.params as Record<string, string | string[]>;
    const params: Record<string, string> = {};
    for (const key in given) {
      const value = given[key]!;
      params[key] = Array.isArray(value) ? value.join('/') : value;
    }
    try {
      const handled = handle(factory, req, res, params, opts);
      if (handled instanceof Promise) handled.catch(next);
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Node answers `Expect: 100-continue` by itself unless a checkContinue listener exists. With this
 * listener the request goes to the app untouched and the engine sends 100 only when a decision
 * actually reads the body, so a request refused in the B column never uploads it.
 */
export function listenForContinue(server: Server, app: RequestListener): Server {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    owesContinue(req);
    app(req, res);
  });
  return server;
}

/** An http.Server for an Express app (or any listener) with the engine's 100-continue handling. */
export function createEngineServer(app: RequestListener): Server {
  return listenForContinue(createServer(app), app);
}
