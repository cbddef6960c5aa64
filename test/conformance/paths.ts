import type { NodeId, PathStep } from './diagram.js';

/**
 * Expected decision paths. A case declares the part of its path that it is about (from the first
 * node where it matters to the status); the nodes before it follow from the request's own headers
 * (Content-MD5 visits B9a, Accept C4, Accept-Language D5, Accept-Encoding F7), so the runner
 * derives them instead of every case spelling out b13...g7.
 */

type Headers = Readonly<Record<string, string>>;

function has(headers: Headers, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** The nodes every request walks from B13 up to and including G7, given what it sends. */
export function prefixFor(headers: Headers): NodeId[] {
  const nodes: (NodeId | false)[] = [
    'b13', 'b12', 'b11', 'b10', 'b9', has(headers, 'content-md5') && 'b9a', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3',
    'c3', has(headers, 'accept') && 'c4',
    'd4', has(headers, 'accept-language') && 'd5',
    'e5', 'f6', has(headers, 'accept-encoding') && 'f7',
    'g7',
  ];
  return nodes.filter((n): n is NodeId => n !== false);
}

/** The full expected trace (nodes only) and final status of a declared path for these headers. */
export function expand(path: readonly PathStep[], headers: Headers): { nodes: NodeId[]; status: number } {
  const last = path[path.length - 1];
  if (typeof last !== 'number') throw new Error(`a path must end with a status: ${path.join(',')}`);
  const declared = path.slice(0, -1) as NodeId[];
  const first = declared[0];
  if (first === undefined) throw new Error('a path needs at least one node');
  const prefix = prefixFor(headers);
  const at = prefix.indexOf(first);
  // A path may start where the standard walk leaves off (E5 for charsets, for instance).
  if (at < 0) throw new Error(`path starts at ${first}, which a request with these headers never visits on its way to G7`);
  return { nodes: [...prefix.slice(0, at), ...declared], status: last };
}

// Building blocks after G7 (rfc profile). RFC 6585's G7a sits between G7 and G8.
const NO_PRECONDITIONS: NodeId[] = ['g8', 'h10', 'i12', 'l13'];
const BODY: NodeId[] = ['m16', 'n16', 'o16', 'o18', 'o18b'];

/** Common paths, each from G7 (resource exists?) to the status. */
export const P = {
  get200: ['g7', 'g7a', ...NO_PRECONDITIONS, ...BODY, 200],
  missing404: ['g7', 'h7', 'i7', 'k7', 'l7', 404],
  gone410: ['g7', 'h7', 'i7', 'k7', 'k5', 'l5', 'm5', 410],
  putCreate201: ['g7', 'h7', 'i7', 'i4', 'p3', 'p11', 201],
  putUpdate204: ['g7', 'g7a', ...NO_PRECONDITIONS, 'm16', 'n16', 'o16', 'o14', 'p11', 'o20', 204],
  putUpdate200: ['g7', 'g7a', ...NO_PRECONDITIONS, 'm16', 'n16', 'o16', 'o14', 'p11', 'o20', 'o18', 'o18b', 200],
  delete204: ['g7', 'g7a', ...NO_PRECONDITIONS, 'm16', 'm20', 'm20b', 'o20', 204],
  post201: ['g7', 'g7a', ...NO_PRECONDITIONS, 'm16', 'n16', 'n11', 'p11', 201],
} as const satisfies Record<string, readonly PathStep[]>;

/** A path through existing-resource preconditions, then the method's tail. */
export function existing(preconditions: readonly NodeId[], tail: readonly PathStep[]): PathStep[] {
  return ['g7', 'g7a', ...preconditions, ...tail];
}

export const TAIL = {
  get200: [...BODY, 200],
  put204: ['m16', 'n16', 'o16', 'o14', 'p11', 'o20', 204],
  put200: ['m16', 'n16', 'o16', 'o14', 'p11', 'o20', 'o18', 'o18b', 200],
  delete204: ['m16', 'm20', 'm20b', 'o20', 204],
} as const satisfies Record<string, readonly PathStep[]>;
