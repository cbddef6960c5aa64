/**
 * The webmachine v3 decision diagram as the conformance client knows it: every node with its grid
 * position (column letter, row number of Alan Dean's drawing), every edge, and the outcomes that
 * cannot be reached from outside this API. Written from the design note
 * (docs/webmachine.md, "The node table" and "Profiles", "rfc" profile), not from the server's code, so the
 * client stays usable against any deployment.
 */

export const NODE_IDS = [
  'b13', 'b12', 'b11', 'b10', 'b9', 'b9a', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3',
  'c3', 'c4', 'd4', 'd5', 'e5', 'e6', 'f6', 'f7',
  'g7', 'g7a', 'g8', 'g9', 'g11', 'h10', 'h11', 'h12', 'i12', 'i13', 'k13', 'j18',
  'l13', 'l14', 'l15', 'l17',
  'h7', 'i7', 'i4', 'p3', 'k7', 'k5', 'l5', 'm5', 'n5', 'l7', 'm7',
  'm16', 'm20', 'm20b', 'n16', 'n11', 'o16', 'o14', 'o18', 'o18b', 'o20', 'p11',
  // Not a decision: the byte-range step after O18b that turns a 200 into 206 or 416.
  'range',
] as const;

export type NodeId = (typeof NODE_IDS)[number];
/** A step of a path: a node, or the status that ends it. */
export type PathStep = NodeId | number;

export function isNodeId(value: string): value is NodeId {
  return (NODE_IDS as readonly string[]).includes(value);
}

export interface DiagramNode {
  id: NodeId;
  question: string;
  /** Grid column (A = 0 ... P = 15) and row (1 ... 26); fractions place the sub-nodes. */
  col: number;
  row: number;
}

const COLUMNS = 'abcdefghijklmnop';

function at(id: NodeId, question: string, col?: number, row?: number): DiagramNode {
  const m = /^([a-p])(\d+)/.exec(id);
  return { id, question, col: col ?? COLUMNS.indexOf(m![1]!), row: row ?? Number(m![2]) };
}

/** Sub-nodes (b9a, b9b, g7a, m20b, o18b, range) sit between the drawing's cells. */
export const NODES: readonly DiagramNode[] = [
  at('b13', 'Service available?'),
  at('b12', 'Known method?'),
  at('b11', 'URI too long?'),
  at('b10', 'Method allowed?'),
  at('b9', 'Content-MD5 present?', 1, 9.33),
  at('b9a', 'Content-MD5 valid?', 0, 9.33),
  at('b9b', 'Malformed?', 1, 8.67),
  at('b8', 'Authorized?'),
  at('b7', 'Forbidden?'),
  at('b6', 'Content-* headers OK?'),
  at('b5', 'Known Content-Type?'),
  at('b4', 'Entity length OK?'),
  at('b3', 'OPTIONS?'),
  at('c3', 'Accept exists?'),
  at('c4', 'Acceptable media type?'),
  at('d4', 'Accept-Language exists?'),
  at('d5', 'Acceptable language?'),
  at('e5', 'Accept-Charset exists?'),
  at('e6', 'Acceptable charset?'),
  at('f6', 'Accept-Encoding exists?'),
  at('f7', 'Acceptable encoding?'),
  at('g7', 'Resource exists?'),
  at('g7a', 'Precondition required? (RFC 6585)', 6.5, 7.5),
  at('g8', 'If-Match exists?'),
  at('g9', 'If-Match: * ?'),
  at('g11', 'ETag in If-Match? (strong)'),
  at('h10', 'If-Unmodified-Since exists (and no If-Match)?'),
  at('h11', 'IUMS valid date?'),
  at('h12', 'Last-Modified > IUMS?'),
  at('i12', 'If-None-Match exists?'),
  at('i13', 'If-None-Match: * ?'),
  at('k13', 'ETag in If-None-Match? (weak)'),
  at('j18', 'GET or HEAD?'),
  at('l13', 'If-Modified-Since exists (GET/HEAD, no If-None-Match)?'),
  at('l14', 'IMS valid date?'),
  at('l15', 'IMS > now?'),
  at('l17', 'Last-Modified > IMS?'),
  at('h7', 'If-Match exists? (deferred in the rfc profile)'),
  at('i7', 'PUT?'),
  at('i4', 'Moved permanently?'),
  at('p3', 'Conflict? (then accept helper)'),
  at('k7', 'Previously existed?'),
  at('k5', 'Moved permanently?'),
  at('l5', 'Moved temporarily?'),
  at('m5', 'POST?'),
  at('n5', 'Server allows POST to missing resource?'),
  at('l7', 'POST?'),
  at('m7', 'Server allows POST to missing resource?'),
  at('m16', 'DELETE?'),
  at('m20', 'Delete enacted?'),
  at('m20b', 'Delete completed?', 13, 20),
  at('n16', 'POST?'),
  at('n11', 'Redirect? (process_post)'),
  at('o16', 'PUT (or PATCH)?'),
  at('o14', 'Conflict? (then accept helper)'),
  at('o18', 'Body generation (GET/HEAD)'),
  at('o18b', 'Multiple representations?', 15, 18),
  at('o20', 'Response includes an entity?'),
  at('p11', 'New resource?'),
  at('range', 'Range request? (RFC 9110 14)', 15, 19.4),
];

export type EdgeKind = 'decision' | 'halt';

export interface Edge {
  from: NodeId;
  to: PathStep;
  /** T/F as on the drawing; empty for unconditional steps. */
  label: 'T' | 'F' | '';
  /** decision: a branch of the drawing; halt: a callback of this API answered the status itself. */
  kind: EdgeKind;
}

function d(from: NodeId, t: PathStep | null, f: PathStep | null): Edge[] {
  const out: Edge[] = [];
  if (t !== null) out.push({ from, to: t, label: 'T', kind: 'decision' });
  if (f !== null) out.push({ from, to: f, label: 'F', kind: 'decision' });
  return out;
}

function step(from: NodeId, to: PathStep): Edge {
  return { from, to, label: '', kind: 'decision' };
}

function halts(from: NodeId, ...statuses: number[]): Edge[] {
  return statuses.map((to) => ({ from, to, label: '', kind: 'halt' as const }));
}

/** The rfc profile's graph (docs/webmachine.md, "The node table" and "Profiles"). */
export const EDGES: readonly Edge[] = [
  ...d('b13', 'b12', 503),
  ...d('b12', 'b11', 501),
  ...d('b11', 414, 'b10'),
  ...d('b10', 'b9', 405),
  ...d('b9', 'b9a', 'b9b'),
  ...d('b9a', 'b9b', 400),
  ...d('b9b', 400, 'b8'),
  ...d('b8', 'b7', 401),
  ...d('b7', 403, 'b6'),
  ...d('b6', 'b5', 501),
  ...d('b5', 'b4', 415),
  ...d('b4', 'b3', 413),
  ...d('b3', 200, 'c3'),
  ...d('c3', 'c4', 'd4'),
  ...d('c4', 'd4', 406),
  ...d('d4', 'd5', 'e5'),
  ...d('d5', 'e5', 406),
  ...d('e5', 'e6', 'f6'),
  step('e5', 406),
  ...d('e6', 'f6', 406),
  ...d('f6', 'f7', 'g7'),
  step('f6', 406),
  ...d('f7', 'g7', 406),
  ...d('g7', 'g7a', 'h7'),
  ...d('g7a', 428, 'g8'),
  ...d('g8', 'g9', 'h10'),
  ...d('g9', 'h10', 'g11'),
  ...d('g11', 'h10', 412),
  ...d('h10', 'h11', 'i12'),
  ...d('h11', 'h12', 'i12'),
  ...d('h12', 412, 'i12'),
  ...d('i12', 'i13', 'l13'),
  ...d('i13', 'j18', 'k13'),
  ...d('k13', 'j18', 'l13'),
  ...d('j18', 304, 412),
  ...d('l13', 'l14', 'm16'),
  ...d('l14', 'l15', 'm16'),
  ...d('l15', 'm16', 'l17'),
  ...d('l17', 'm16', 304),
  ...d('m16', 'm20', 'n16'),
  ...d('m20', 'm20b', 500),
  ...d('m20b', 'o20', 202),
  ...d('n16', 'n11', 'o16'),
  ...d('n11', 303, 'p11'),
  step('n11', 415),
  ...d('o16', 'o14', 'o18'),
  ...d('o14', 409, 'p11'),
  step('o14', 415),
  step('o18', 'o18b'),
  ...d('o18b', 300, 200),
  step('o18b', 'range'),
  step('range', 206),
  step('range', 416),
  ...d('o20', 'o18', 204),
  ...d('p11', 201, 'o20'),
  ...d('h7', 412, 'i7'),
  ...d('i7', 'i4', 'k7'),
  ...d('i4', 308, 'p3'),
  ...d('p3', 409, 'p11'),
  step('p3', 415),
  // The rfc profile's deferred If-Match failure on a missing resource (RFC 9110 13.2.1).
  step('p3', 412),
  ...d('k7', 'k5', 'l7'),
  ...d('k5', 301, 'l5'),
  ...d('l5', 307, 'm5'),
  ...d('m5', 'n5', 410),
  ...d('n5', 'n11', 410),
  ...d('l7', 'm7', 404),
  ...d('m7', 'n11', 404),
  // Statuses this API's callbacks answer themselves (halts), where the flow calls them. Only the
  // ones a case proves are drawn; others (races, a body over the limit on an update) exist too.
  ...halts('b6', 400),
  ...halts('c3', 400, 404),
  ...halts('g7', 400, 404, 410),
  ...halts('p3', 400, 413),
  ...halts('o14', 400),
  ...halts('n11', 400, 404, 409),
  ...halts('m20', 409),
];

export function edgeKey(from: NodeId, to: PathStep): string {
  return `${from}>${to}`;
}

const edgeIndex = new Map(EDGES.map((e) => [edgeKey(e.from, e.to), e]));

export function findEdge(from: NodeId, to: PathStep): Edge | undefined {
  return edgeIndex.get(edgeKey(from, to));
}

/** What no request from outside can reach on this API, and why (shown grey in the report). */
export interface Unreachable {
  from: NodeId;
  /** Absent: the node itself (and every edge out of it). */
  to?: PathStep;
  reason: string;
}

export const UNREACHABLE: readonly Unreachable[] = [
  { from: 'b13', to: 503, reason: 'service_available is false only while storage is down (/readyz); a client cannot cause it' },
  { from: 'b6', to: 501, reason: 'valid_content_headers never answers false; the rfc profile halts 400 on a partial PUT (Content-Range) instead' },
  { from: 'b5', to: 415, reason: 'known_content_type is never false; 415 comes from the accept helper at O14/P3' },
  { from: 'd5', to: 406, reason: 'no resource provides languages, and the rfc profile ignores an unsatisfiable Accept-Language (RFC 9110 12.5.4)' },
  { from: 'e5', to: 406, reason: 'no resource offers an empty charset list' },
  { from: 'f6', to: 406, reason: 'every resource offers the identity coding' },
  { from: 'h7', to: 412, reason: 'the rfc profile defers If-Match on a missing resource to P3, so 404/410 win (RFC 9110 13.2.1)' },
  { from: 'i4', to: 308, reason: 'no resource moves: moved_permanently is always false' },
  { from: 'k5', to: 301, reason: 'no resource moves: moved_permanently is always false' },
  { from: 'l5', to: 307, reason: 'no resource moves: moved_temporarily is always false' },
  { from: 'm5', to: 'n5', reason: 'no resource that previously existed takes POST (a deleted repository allows GET, HEAD, PUT, DELETE)' },
  { from: 'n5', reason: 'reached only by POST to a resource that previously existed (see M5)' },
  { from: 'l7', to: 'm7', reason: 'every POST resource either exists or halts at G7 when its repository is missing' },
  { from: 'm7', reason: 'reached only by POST to a missing resource (see L7)' },
  { from: 'm20', to: 500, reason: 'delete_resource never answers false: failures are explicit 404/409/412 halts' },
  { from: 'm20b', to: 202, reason: 'deletes are synchronous: delete_completed is always true' },
  { from: 'n11', to: 303, reason: 'no POST asks for a redirect (see other)' },
  { from: 'n11', to: 415, reason: 'no POST resource uses post_is_create, so the accept helper never runs at N11' },
  { from: 'o18b', to: 300, reason: 'multiple_choices is never offered' },
];

/** The reason an edge (or, with `to` undefined, a node) is unreachable, if it is. */
export function unreachableReason(from: NodeId, to?: PathStep): string | undefined {
  const node = UNREACHABLE.find((u) => u.from === from && u.to === undefined);
  if (node !== undefined) return node.reason;
  if (to === undefined) return undefined;
  const target = typeof to === 'string' ? UNREACHABLE.find((u) => u.from === to && u.to === undefined) : undefined;
  return UNREACHABLE.find((u) => u.from === from && u.to === to)?.reason ?? target?.reason;
}

/** Edges that need a deployment with access control (only covered when --token is given). */
export const NEEDS_TOKEN: readonly string[] = [edgeKey('b8', 401), edgeKey('b7', 403)];
