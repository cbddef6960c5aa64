import type { IncomingMessage, ServerResponse } from 'node:http';
import parseurl from 'parseurl';
import { match, type MatchFunction } from 'path-to-regexp';
import { handle } from './engine.js';
import { andThen, type Maybe } from './maybe.js';
import { type EngineOptions, engineOptions } from './options.js';
import type { ResourceFactory } from './resource.js';

/** A resource at an Express-syntax path ("/repos/:repo/contents/*path"); the pattern labels metrics. */
export interface TableRoute {
  pattern: string;
  factory: ResourceFactory;
}

interface Compiled {
  pattern: string;
  /**
   * The pattern's literal segments and their places ("/repos/:repo/contents/*path": "repos" at
   * 1, "contents" at 3), lower-cased: a path that differs at one cannot match, and comparing
   * segments is cheaper than running every earlier route's expression.
   */
  literals: [number, string][];
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

/** Literal segments up to the first wildcard or optional group (after one, places may shift). */
function literalSegments(pattern: string): [number, string][] {
  const literals: [number, string][] = [];
  const parts = pattern.split('/');
  for (let at = 0; at < parts.length; at++) {
    const part = parts[at]!;
    if (/[*{]/.test(part)) break;
    if (!/[:(]/.test(part)) literals.push([at, part.toLowerCase()]);
  }
  return literals;
}

/** Whether a path's lower-cased segments hold every literal segment of a route in its place. */
function hasLiterals(segments: readonly string[], literals: readonly [number, string][]): boolean {
  for (const [at, literal] of literals) if (segments[at] !== literal) return false;
  return true;
}

/** Where a dispatched request keeps its route's pattern: a property, as a WeakMap entry per request cost GC work. */
const ROUTE: unique symbol = Symbol('route pattern');
type Routed = IncomingMessage & { [ROUTE]?: string };

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
      literals: literalSegments(r.pattern),
      match: match(r.pattern, { sensitive: false, end: true, trailing: true, decode: decodeParam }),
    }));
    this.options = engineOptions(options);
  }

  get patterns(): string[] {
    return this.routes.map((r) => r.pattern);
  }

  /** The pattern that served `req`, once dispatched here (for metrics). */
  static routeOf(req: IncomingMessage): string | undefined {
    return (req as Routed)[ROUTE];
  }

  /**
   * Serves `req` if a route matches and answers true; false when none does (nothing written).
   * Synchronous while the resource is. Throws a status-400 error when the path's parameters are
   * not valid percent-encoding.
   */
  dispatch(req: IncomingMessage, res: ServerResponse): Maybe<boolean> {
    const found = this.find(req);
    if (found === undefined) return false;
    (req as Routed)[ROUTE] = found.route.pattern;
    return andThen(handle(found.route.factory, req, res, found.params, this.options), () => true);
  }

  /** The first route that matches `req`'s path, with its decoded parameters. */
  private find(req: IncomingMessage): { route: Compiled; params: Record<string, string> } | undefined {
    const path = parseurl(req)?.pathname ?? '/';
    const segments = path.toLowerCase().split('/');
    for (const route of this.routes) {
      if (!hasLiterals(segments, route.literals)) continue;
      const found = route.match(path);
      if (found === false) continue;
      const params: Record<string, string> = {};
      // A plain loop over the matcher's params (an object without prototype): Object.entries
      // would build an array of pairs on every request.
      for (const name in found.params) {
        const value = found.params[name];
        if (value !== undefined) params[name] = Array.isArray(value) ? value.join('/') : value;
      }
      return { route, params };
    }
    return undefined;
  }
}
