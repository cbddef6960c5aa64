/**
 * A point in a vbucket's replication stream: every update before `seq` of term `term`. Terms are
 * map epochs, so they only grow, and the copies that start a term hold everything the previous
 * term acknowledged: any position of a later term is past every position of an earlier one.
 */
export interface StreamPosition {
  term: number;
  seq: number;
}

export function newer(a: StreamPosition, b: StreamPosition): boolean {
  return a.term > b.term || (a.term === b.term && a.seq > b.seq);
}

/** `a` is at or past `b`. */
export function reached(a: StreamPosition, b: StreamPosition): boolean {
  return !newer(b, a);
}

/** As a header carries it: [term, seq]. */
export function positionToWire(p: StreamPosition): [number, number] {
  return [p.term, p.seq];
}

/** A header's [term, seq], or null when absent or malformed. */
export function positionFromWire(value: unknown): StreamPosition | null {
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [term, seq] = value as unknown[];
  return Number.isSafeInteger(term) && Number.isSafeInteger(seq) && (term as number) >= 0 && (seq as number) >= 0 ? { term: term as number, seq: seq as number } : null;
}
