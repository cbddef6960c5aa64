import type { Control } from './etcd-control.js';

/**
 * The last failover, kept in etcd (`failovers/last`) by the leader that ran it, so any supervisor
 * (and the status command) can tell it, also after the leader changed. Times are the leader's:
 * from when it saw the primary's registration go (etcd expired its lease, about one lease TTL
 * after the process died) to the map naming the new primaries.
 */
export interface FailoverRecord {
  /** When the leader saw the primaries lost and froze their vbuckets (ISO time). */
  startedAt: string;
  /** When the last of those vbuckets got a new primary; null while some still wait. */
  finishedAt: string | null;
  durationMs: number | null;
  /** The primaries that were lost. */
  lost: string[];
  vbuckets: number;
  promoted: number;
  /** Vbuckets still without a primary (fewer than a majority of their copies alive). */
  waiting: number;
  /** The map epoch that published the last step. */
  epoch: number;
}

const KEY = 'failovers/last';

export async function readLastFailover(control: Control): Promise<FailoverRecord | null> {
  const text = await control.ns.get(KEY).string();
  if (text === null) return null;
  try {
    return JSON.parse(text) as FailoverRecord;
  } catch {
    return null;
  }
}

export async function writeLastFailover(control: Control, record: FailoverRecord): Promise<void> {
  await control.ns.put(KEY).value(JSON.stringify(record));
}
