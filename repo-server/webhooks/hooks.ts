/**
 * Registering, reading, changing and removing hooks, and the deliveries a hook has made: what the
 * API's webhook resources ask. Every change is a compare-and-swap of the hook's file, so two
 * front ends changing one hook at once cannot lose either change silently.
 */
import { randomBytes } from 'node:crypto';
import type { RepoStore, SwapOp } from '../../fs-service/index.js';
import { appendOps, parseSeq, prune, readSeq, SEQ_PATH } from '../git/index.js';
import {
  bytesOf,
  CURSOR_PATH,
  DELIVERIES_DIR,
  DELIVERY_ID,
  deliveryPath,
  type DeliveryRecord,
  HOOK_ID,
  hookOfDelivery,
  hookPath,
  type HookRecord,
  HOOKS_DIR,
  indexPath,
  listNames,
  parse,
  queuePath,
  type Scope,
  storeOf,
  type Stores,
  type WebhookEvent,
} from './model.js';
import { type AllowList, refuseUrl } from './url-guard.js';

export interface HookInput {
  url: string;
  events: WebhookEvent[];
  /** Absent on an update: the secret stays. */
  secret?: string;
  active?: boolean;
}

export type HookChange = { ok: true; hook: HookRecord; created: boolean } | { ok: false; reason: 'unsafe-url'; detail: string } | { ok: false; reason: 'secret-required' } | { ok: false; reason: 'busy' };

export class Webhooks {
  constructor(
    private readonly stores: Stores,
    private readonly allow: AllowList,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(scope: Scope): Promise<HookRecord[]> {
    const store = storeOf(this.stores, scope);
    const ids = (await listNames(store, HOOKS_DIR)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((id) => HOOK_ID.test(id));
    const records = await store.readMany(ids.map(hookPath));
    return records.map((r) => parse<HookRecord>(r)).filter((h): h is HookRecord => h !== null);
  }

  async get(scope: Scope, id: string): Promise<HookRecord | null> {
    if (!HOOK_ID.test(id)) return null;
    const [bytes] = await storeOf(this.stores, scope).readMany([hookPath(id)]);
    return parse<HookRecord>(bytes);
  }

  /** Creates a hook (id null) or replaces one; the URL is checked against the SSRF rule first. */
  async put(scope: Scope, id: string | null, input: HookInput): Promise<HookChange> {
    const refused = await refuseUrl(input.url, this.allow);
    if (refused !== null) return { ok: false, reason: 'unsafe-url', detail: refused };
    const store = storeOf(this.stores, scope);
    const at = this.now().toISOString();
    if (id === null) {
      if (input.secret === undefined) return { ok: false, reason: 'secret-required' };
      const hook: HookRecord = { id: randomBytes(8).toString('hex'), url: input.url, events: [...new Set(input.events)], secret: input.secret, active: input.active ?? true, createdAt: at, updatedAt: at, fromSeq: await readSeq(store) };
      // The log is followed from here on; the cursor is made once, by the first hook of the scope.
      await store.createExclusive(CURSOR_PATH, String(hook.fromSeq));
      if (!(await store.createExclusive(hookPath(hook.id), bytesOf(hook)))) throw new Error('hook id collision');
      if (scope !== null) await this.stores.system.createExclusive(indexPath(scope), '');
      return { ok: true, hook, created: true };
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      const [bytes] = await store.readMany([hookPath(id)]);
      const current = parse<HookRecord>(bytes);
      if (current === null) return this.put(scope, null, input);
      const hook: HookRecord = { ...current, url: input.url, events: [...new Set(input.events)], secret: input.secret ?? current.secret, active: input.active ?? current.active, updatedAt: at };
      if (await store.compareAndSwap([{ path: hookPath(id), expected: bytes!, next: bytesOf(hook) }])) return { ok: true, hook, created: false };
    }
    return { ok: false, reason: 'busy' };
  }

  /** Removes a hook; its deliveries still pending fail at their next attempt ("hook deleted"). */
  async delete(scope: Scope, id: string): Promise<boolean> {
    const store = storeOf(this.stores, scope);
    for (let attempt = 0; attempt < 5; attempt++) {
      const [bytes] = await store.readMany([hookPath(id)]);
      if (bytes === null || bytes === undefined) return false;
      if (await store.compareAndSwap([{ path: hookPath(id), expected: bytes, next: null }])) return true;
    }
    return false;
  }

  /** The ids of a hook's deliveries (the log keeps them until pruned), oldest first. */
  async deliveryIds(scope: Scope, hook: string): Promise<string[]> {
    const names = await listNames(storeOf(this.stores, scope), DELIVERIES_DIR);
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .filter((id) => DELIVERY_ID.test(id) && hookOfDelivery(id) === hook)
      .sort();
  }

  async deliveries(scope: Scope, ids: readonly string[]): Promise<DeliveryRecord[]> {
    const records = await storeOf(this.stores, scope).readMany(ids.map(deliveryPath));
    return records.map((r) => parse<DeliveryRecord>(r)).filter((d): d is DeliveryRecord => d !== null);
  }

  async delivery(scope: Scope, hook: string, id: string): Promise<DeliveryRecord | null> {
    if (!DELIVERY_ID.test(id) || hookOfDelivery(id) !== hook) return null;
    return (await this.deliveries(scope, [id]))[0] ?? null;
  }

  /**
   * Sends a delivery again: pending from now, with a fresh retry budget; its earlier attempts stay
   * in its log. A delivery being sent right now is left to finish (null: try again shortly).
   */
  async redeliver(scope: Scope, hook: string, id: string): Promise<DeliveryRecord | 'busy' | null> {
    if (!DELIVERY_ID.test(id) || hookOfDelivery(id) !== hook) return null;
    const store = storeOf(this.stores, scope);
    for (let attempt = 0; attempt < 5; attempt++) {
      const [bytes, queued] = await store.readMany([deliveryPath(id), queuePath(id)]);
      const current = parse<DeliveryRecord>(bytes);
      if (current === null) return null;
      const now = this.now();
      if (current.lease !== undefined && Date.parse(current.lease.until) > now.getTime()) return 'busy';
      const { lease: _lease, ...rest } = current;
      const next: DeliveryRecord = { ...rest, state: 'pending', nextAttemptAt: now.toISOString(), budgetFrom: current.attempts.length };
      const ops: SwapOp[] = [{ path: deliveryPath(id), expected: bytes!, next: bytesOf(next) }];
      if (queued === null || queued === undefined) ops.push({ path: queuePath(id), expected: null, next: Buffer.alloc(0) });
      if (await store.compareAndSwap(ops)) return next;
    }
    return 'busy';
  }

  /**
   * Records that a repository was created or deleted, in the service's event log (which service
   * hooks follow). After the change itself: a crash in between loses this one event.
   */
  async repositoryEvent(action: 'created' | 'deleted', repo: string, actor: string): Promise<void> {
    const store = this.stores.system;
    for (let attempt = 0; attempt < 50; attempt++) {
      const [seqData] = await store.readMany([SEQ_PATH]);
      const seq = parseSeq(seqData);
      const event = { type: 'repository', action, repo, actor, at: this.now().toISOString() };
      if (await store.compareAndSwap(appendOps(seqData ?? null, seq, [event]))) return prune(store, seq + 1, 1);
    }
    throw new Error('the service event log stayed contended');
  }
}
