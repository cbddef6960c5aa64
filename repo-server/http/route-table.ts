import type { IncomingMessage, ServerResponse } from 'node:http';
import parseurl from 'parseurl';
import { match, type MatchFunction } from 'path-to-regexp';
import { type EngineOptions, engineOptions, handle, type ResourceFactory } from '../../webmachine/index.js';

/** A resource at an Express-syntax path ("/repos/:repo/contents/*path"); the pattern labels metrics. */
export interface TableRoute {
  pattern: string;
  factory: ResourceFactory;
}

interface Compiled {
  pattern: string;
  /** The pattern's literal start, lower-cased: a path without it cannot match (cheap to rule out). */
  prefix: string;
  factory: ResourceFactory;
  match: MatchFunction<Partial<Record<string, string | string[]>>>;
}

/** Express's own parameter decoding: a bad percent-encoding is the client's fault (400). */
function decodeParam(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (err) {
    throw Object.assign(err as Error, { status: 400 });
  }
}

const routed = new WeakMap<IncomingMessage, string>();

/**
 * The resources of the front end, matched and handed to the engine without Express. Matching is
 * Express 5's (path-to-regexp 8, the version its router uses, with the router's options: case
 * insensitive, optional trailing slash, whole path, decoded parameters; a wildcard's segments
 * are joined with "/"), so moving a route here changes no answer. Routes are tried in order.
 */
export class RouteTable {
  private readonly routes: Compiled[];
  private readonly options: EngineOptions;

  constructor(routes: readonly TableRoute[], options: Partial<EngineOptions>) {
    this.routes = routes.map((r) => ({
      ...r,
      prefix: r.pattern.split(/[:*{(]/)[0]!.toLowerCase(),
      match: match(r.pattern, { sensitive: false, end: true, trailing: true, decode: decodeParam }),
    }));
    this.options = engineOptions(options);
  }

  get patterns(): string[] {
    return this.routes.map((r) => r.pattern);
  }

  /** The pattern that served `req`, once dispatched here (for metrics). */
  static routeOf(req: IncomingMessage): string | undefined {
    return routed.get(req);
  }

  /**
   * Serves `req` if a route matches and resolves true; false when none does (nothing written).
   * Rejects with a status-400 error when the path's parameters are not valid percent-encoding.
   */
  async dispatch(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = parseurl(req)?.pathname ?? '/';
    const lower = path.toLowerCase();
    for (const route of this.routes) {
      if (!lower.startsWith(route.prefix)) continue;
      const found = route.match(path);
      if (found === false) continue;
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(found.params)) {
        if (value !== undefined) params[name] = Array.isArray(value) ? value.join('/') : value;
      }
      routed.set(req, route.pattern);
      await handle(route.factory, req, res, params, this.options);
      return true;
    }
    return false;
  }
}
