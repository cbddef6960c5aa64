/**
 * Delivers webhooks by following event logs: every front end runs one dispatcher, and none of
 * them needs to have made a change to deliver it.
 *
 * 1. Turning events into deliveries. Every ref move appends to its repository's event log in the
 *    same compare-and-swap as the ref (git/refs/ref-update.ts), and repositories created or
 *    deleted go to the service's log (hooks.ts). A dispatcher reads the events after the scope's
 *    cursor and, in one compare-and-swap, advances the cursor and creates one delivery per hook
 *    and event, each with a queue entry. Two front ends doing this at once cannot both succeed,
 *    and one that crashes half way has done nothing: no event is missed or turned twice.
 * 2. Sending. A pending, due delivery is claimed by a lease written into its record (another
 *    compare-and-swap), so two front ends never send it at once; the attempt's outcome is written
 *    back the same way. A failure or a timeout is retried after a delay that doubles from
 *    `retryMs`, up to `maxAttempts`; a front end that dies mid-send leaves a lease that expires,
 *    and another (or the same one, restarted) sends again. Deliveries are at least once: a
 *    receiver tells repeats apart by the delivery id.
 *
 * Nothing here runs on a request's path: a receiver that hangs costs one sending slot until
 * `timeoutMs`, never a writer's time.
 */
import { randomUUID } from 'node:crypto';
import type { SwapOp } from '../../fs-service/index.js';
import { parseSeq, readEventsAfter, SEQ_PATH } from '../git/index.js';
import type { Logger } from '../observability/logger.js';
import type { Webhooks } from './hooks.js';
import {
  bytesOf,
  CURSOR_PATH,
  DELIVERIES_DIR,
  DELIVERY_ID,
  deliveryId,
  deliveryPath,
  type DeliveryRecord,
  INDEX_DIR,
  indexPath,
  listNames,
  parse,
  QUEUE_DIR,
  queuePath,
  type Scope,
  storeOf,
  type Stores,
} from './model.js';
import { eventsOf, type LogEvent, payloadOf, signature } from './payloads.js';
import { post, type PostResult } from './post.js';
import type { AllowList } from './url-guard.js';

export interface DispatcherOptions {
  allow: AllowList;
  /** How often every scope with hooks is looked at (local writes are looked at at once). */
  intervalMs: number;
  /** How long one attempt may take, connection to last byte. */
  timeoutMs: number;
  /** The delay before the first retry; it doubles for each next one (at most an hour). */
  retryMs: number;
  /** Attempts before a delivery is given up as failed (a redelivery starts a new count). */
  maxAttempts: number;
  /** Attempts in flight at once on this front end. */
  maxInFlight?: number;
  logger: Logger;
  /** Told of every attempt's outcome (metrics). */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed') => void;
  version?: string;
}

/** Events turned into deliveries per compare-and-swap. */
const BATCH = 100;
/** Finished deliveries a scope keeps for its delivery log. */
const KEEP = 1000;
/** A lease outlives the attempt's timeout by this much, for clocks that differ a little. */
const LEASE_MARGIN_MS = 5_000;
const MAX_DELAY_MS = 3_600_000;

export class WebhookDispatcher {
  private readonly owner = randomUUID();
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly stores: Stores,
    private readonly hooks: Webhooks,
    private readonly opts: DispatcherOptions,
  ) {}

  /** Starts following the logs; `bus` (the front end's event bus) makes local writes go out at once. */
  start(bus?: { subscribe(listener: (event: { repo: string }) => void): () => void }): void {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
    this.unsubscribe = bus?.subscribe((event) => void this.run(event.repo));
    void this.tick();
  }

  /**
   * Stops taking new work and cuts the attempts in flight short: they are not recorded, their
   * leases run out, and another front end (or this one, restarted) sends them again.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      const repos = await listNames(this.stores.system, INDEX_DIR);
      await Promise.all([null, ...repos].map((scope) => this.run(scope)));
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, 'webhook dispatcher: could not list scopes');
    }
  }

  /** One pass over a scope: new events into deliveries, then the due deliveries out. */
  async run(scope: Scope): Promise<void> {
    const key = scope ?? '';
    if (this.closed) return;
    if (this.busy.has(key)) {
      this.again.add(key);
      return;
    }
    this.busy.add(key);
    try {
      do {
        this.again.delete(key);
        await this.convert(scope);
        await this.sendDue(scope);
      } while (this.again.has(key) && !this.closed);
    } catch (err) {
      // Storage unavailable for a moment: the next tick starts again from the stored positions.
      this.opts.logger.warn({ scope: key || '(service)', err: String(err) }, 'webhook dispatcher pass failed');
    } finally {
      this.busy.delete(key);
    }
  }

  private async convert(scope: Scope): Promise<void> {
    const store = storeOf(this.stores, scope);
    const [seqData, cursorData] = await store.readMany([SEQ_PATH, CURSOR_PATH]);
    if (cursorData === null || cursorData === undefined) {
      // No hook was ever made here, or the repository was deleted with its hooks: stop following
      // it, unless a hook was registered meanwhile (it makes the cursor before the index entry).
      if (scope !== null) {
        await this.stores.system.fs.promises.unlink(indexPath(scope)).catch(() => {});
        const [made] = await store.readMany([CURSOR_PATH]);
        if (made !== null && made !== undefined) await this.stores.system.createExclusive(indexPath(scope), '');
      }
      return;
    }
    const cursor = parseSeq(cursorData);
    const last = parseSeq(seqData);
    if (last <= cursor) return;
    const upTo = Math.min(last, cursor + BATCH);
    const events = await readEventsAfter<LogEvent>(store, cursor, last, upTo);
    const first = events[0]?.seq ?? upTo + 1;
    if (first > cursor + 1) this.opts.logger.warn({ scope: scope ?? '(service)', from: cursor + 1, to: first - 1 }, 'webhook events were pruned from the log before they were delivered');
    const hooks = (await this.hooks.list(scope)).filter((h) => h.active);
    const at = new Date().toISOString();
    const ops: SwapOp[] = [{ path: CURSOR_PATH, expected: cursorData, next: Buffer.from(String(upTo)) }];
    for (const event of events) {
      const seq = event.seq ?? 0;
      for (const name of eventsOf(event)) {
        for (const hook of hooks) {
          if (seq <= hook.fromSeq || !hook.events.includes(name)) continue;
          const id = deliveryId(seq, hook.id, name);
          const record: DeliveryRecord = { id, hook: hook.id, event: name, payload: payloadOf(name, event, id, hook.id), createdAt: at, state: 'pending', attempts: [], nextAttemptAt: at, budgetFrom: 0 };
          ops.push({ path: deliveryPath(id), expected: null, next: bytesOf(record) }, { path: queuePath(id), expected: null, next: Buffer.alloc(0) });
        }
      }
    }
    if ((await store.compareAndSwap(ops)) && ops.length > 1) await this.prune(scope);
  }

  /** Keeps the delivery log bounded: the oldest finished deliveries beyond KEEP go. */
  private async prune(scope: Scope): Promise<void> {
    const store = storeOf(this.stores, scope);
    const ids = (await listNames(store, DELIVERIES_DIR)).map((n) => n.replace(/\.json$/, '')).filter((id) => DELIVERY_ID.test(id));
    if (ids.length <= KEEP) return;
    const queued = new Set(await listNames(store, QUEUE_DIR));
    const finished = ids.filter((id) => !queued.has(id)).sort();
    for (const id of finished.slice(0, ids.length - KEEP)) await store.fs.promises.unlink(deliveryPath(id)).catch(() => {});
  }

  private async sendDue(scope: Scope): Promise<void> {
    const store = storeOf(this.stores, scope);
    const ids = (await listNames(store, QUEUE_DIR)).filter((id) => DELIVERY_ID.test(id) && !this.inFlight.has(id));
    if (ids.length === 0) return;
    const records = await store.readMany(ids.map(deliveryPath));
    const now = Date.now();
    for (const [i, bytes] of records.entries()) {
      const id = ids[i]!;
      const record = parse<DeliveryRecord>(bytes);
      if (record === null || record.state !== 'pending') {
        // A queue entry without a pending delivery is left over: nothing to send.
        await store.fs.promises.unlink(queuePath(id)).catch(() => {});
        continue;
      }
      if (Date.parse(record.nextAttemptAt ?? '') > now) continue;
      if (record.lease !== undefined && Date.parse(record.lease.until) > now) continue;
      if (this.closed || this.inFlight.size >= (this.opts.maxInFlight ?? 16)) return;
      const leased: DeliveryRecord = { ...record, lease: { owner: this.owner, until: new Date(now + this.opts.timeoutMs + LEASE_MARGIN_MS).toISOString() } };
      if (!(await store.compareAndSwap([{ path: deliveryPath(id), expected: bytes!, next: bytesOf(leased) }]))) continue;
      const attempt = this.attempt(scope, leased).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, attempt);
    }
  }

  private async attempt(scope: Scope, record: DeliveryRecord): Promise<void> {
    const at = new Date().toISOString();
    let result: PostResult;
    let final = false;
    try {
      const hook = await this.hooks.get(scope, record.hook);
      if (hook === null) {
        result = { status: null, durationMs: 0, error: 'the hook was deleted' };
        final = true;
      } else {
        const headers = {
          'Content-Type': 'application/json',
          'User-Agent': `content-repo-webhooks/${this.opts.version ?? '0'}`,
          'X-Content-Repo-Event': record.event,
          'X-Content-Repo-Delivery': record.id,
          'X-Content-Repo-Hook': record.hook,
          'X-Hub-Signature-256': signature(hook.secret, record.payload),
        };
        const sent = await post(hook.url, record.payload, headers, this.opts.timeoutMs, this.opts.allow, this.stopping.signal);
        if (sent.aborted === true) return;
        result = sent;
      }
      await this.record(scope, record.id, { at, durationMs: result.durationMs, status: result.status, ...(result.error === undefined ? {} : { error: result.error }) }, final);
    } catch (err) {
      // The outcome could not be written: the lease runs out and the delivery is tried again.
      this.opts.logger.warn({ scope: scope ?? '(service)', delivery: record.id, err: String(err) }, 'webhook attempt not recorded');
    }
  }

  /** Writes an attempt's outcome, unless the lease was lost meanwhile (then the new holder's attempt counts). */
  private async record(scope: Scope, id: string, attempt: DeliveryRecord['attempts'][number], final: boolean): Promise<void> {
    const store = storeOf(this.stores, scope);
    for (let i = 0; i < 10; i++) {
      const [bytes, queued] = await store.readMany([deliveryPath(id), queuePath(id)]);
      const current = parse<DeliveryRecord>(bytes);
      if (current === null || current.lease?.owner !== this.owner) return;
      const attempts = [...current.attempts, attempt];
      const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
      const used = attempts.length - current.budgetFrom;
      const state = ok ? 'delivered' : final || used >= this.opts.maxAttempts ? 'failed' : 'pending';
      const delay = Math.min(this.opts.retryMs * 2 ** (used - 1), MAX_DELAY_MS);
      const { lease: _lease, ...rest } = current;
      const next: DeliveryRecord = { ...rest, attempts, state, nextAttemptAt: state === 'pending' ? new Date(Date.now() + delay).toISOString() : null };
      const ops: SwapOp[] = [{ path: deliveryPath(id), expected: bytes!, next: bytesOf(next) }];
      if (state !== 'pending' && queued !== null && queued !== undefined) ops.push({ path: queuePath(id), expected: queued, next: null });
      if (await store.compareAndSwap(ops)) {
        this.opts.onAttempt?.(state === 'pending' ? 'retry' : state);
        const log = { scope: scope ?? '(service)', delivery: id, status: attempt.status, ms: attempt.durationMs, state, ...(attempt.error === undefined ? {} : { error: attempt.error }) };
        if (state === 'failed') this.opts.logger.warn(log, 'webhook delivery failed');
        else this.opts.logger.debug(log, 'webhook attempt');
        // A retry due soon is picked up by the tick; nothing waits here.
        return;
      }
    }
  }
}
