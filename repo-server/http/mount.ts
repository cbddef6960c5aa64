import type { Express, NextFunction, Request, Response } from 'express';
import { type EngineOptions, resource } from '../../webmachine/index.js';
import { expressPath, type RouteSpec } from './route-spec.js';

/**
 * Mounts every route of the table. Express 5 hands a `*rest` parameter over as an array of
 * decoded segments; resources see it joined with "/".
 */
export function mountRoutes(app: Express, routes: RouteSpec[], engine: Partial<EngineOptions>): void {
  for (const route of routes) {
    const handlers = [resource(route.factory, engine)];
    const rest = route.rest;
    if (rest !== undefined) {
      const join = (req: Request, _res: Response, next: NextFunction): void => {
        const value: unknown = req.params[rest];
        if (Array.isArray(value)) (req.params as Record<string, string>)[rest] = value.join('/');
        next();
      };
      app.all(expressPath(route), join, ...handlers);
    } else {
      app.all(expressPath(route), ...handlers);
    }
  }
}
