import { applyRefUpdates, type ByteReader, err, checkLinkTypes, type CommitInfo, commitSource, type CommitSource, findMissingObject, graphCovering, ingestPack, isAncestor, isProtected, isValidRefName, loadGraph, type ObjectStore, type PackLimits, precheckRefUpdates, readRef, type ReceivedObject, type RefEventSink, type RefUpdate, type RefUpdateResult, type RepoPolicy, type StagedPack, type TypedLink } from '../git/index.js';
import { type RepoStore, unavailability } from '../../fs-service/index.js';
import type { GitHttpLogger } from './logger.js';
import { FLUSH, pktLine } from './pkt-line.js';
import type { ReceivePackRequest, RefCommand } from './receive-pack-request.js';
import type { ResponseSink } from './response-sink.js';
import { sideBandPkt } from './side-band.js';
import type { GitHttpObserver } from './types.js';

export interface ReceiveContext {
  store: RepoStore;
  odb: ObjectStore;
  policy: RepoPolicy;
  events: RefEventSink;
  actor: string;
  logger: GitHttpLogger;
  /** Largest object, total inflated bytes and most objects of one push. */
  limits: PackLimits;
  observer?: GitHttpObserver | undefined;
  /** Keep-alive period while a push is checked and applied (default 5 s). */
  keepAliveMs?: number | undefined;
}

interface Outcome {
  cmd: RefCommand;
  /** null = accepted so far; otherwise the "ng" reason. */
  error: string | null;
}

export interface PushReport {
  unpack: string;
  results: { ref: string; error: string | null }[];
}

/** Writes report-status (v1 and v2 are the same for plain ok/ng) on band 1 or raw. */
async function writeReport(sink: ResponseSink, req: ReceivePackRequest, report: PushReport): Promise<void> {
  if (!req.caps.has('report-status') && !req.caps.has('report-status-v2')) return;
  const lines = [`unpack ${report.unpack}\n`, ...report.results.map((r) => (r.error === null ? `ok ${r.ref}\n` : `ng ${r.ref} ${r.error}\n`))];
  const status = Buffer.concat([...lines.map((l) => pktLine(l)), FLUSH]);
  if (!req.caps.has('side-band-64k')) {
    await sink.write(status);
    return;
  }
  const frames: Buffer[] = [];
  for (let at = 0; at < status.length; at += 65515) frames.push(sideBandPkt(1, status.subarray(at, at + 65515)));
  await sink.write(Buffer.concat([...frames, FLUSH]));
}

async function progress(sink: ResponseSink, req: ReceivePackRequest, text: string): Promise<void> {
  if (req.caps.has('side-band-64k') && !req.caps.has('quiet')) await sink.write(sideBandPkt(2, text));
}

/** git's receive.keepAlive default: how often a silent push still says it is alive. */
const KEEPALIVE_MS = 5_000;
const KEEPALIVE = Buffer.from('0005\x01', 'latin1');

/**
 * Once the pack is in, checking and applying a large push can take a while without a byte to
 * say so, and a proxy in between (nginx's proxy_read_timeout) would cut it. As git's
 * receive-pack does, an empty band-1 packet every few seconds, which clients skip; only with
 * side-band, where git expects it. Returns the function that stops it.
 */
function keepAlive(sink: ResponseSink, req: ReceivePackRequest, everyMs = KEEPALIVE_MS): () => void {
  if (!req.caps.has('side-band-64k')) return () => undefined;
  const timer = setInterval(() => void sink.write(KEEPALIVE), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The reason git prints for a push storage refuses for now (a read-only vbucket, a failover),
 * with when to retry; logged at warn. Any other error is thrown on.
 */
function refusedForNowReason(ctx: ReceiveContext, e: unknown): string {
  const why = unavailability(e);
  if (why === null) throw e;
  ctx.logger.warn({ repo: ctx.store.name, cause: why.reason, error: why.message }, 'receive-pack refused for now: storage unavailable');
  return `${REFUSED_FOR_NOW}, ${why.message.replace(/^EIO: /, '')}; retry in ${why.retryAfterSeconds} s`.replace(/[\r\n]+/g, ' ');
}

const REFUSED_FOR_NOW = 'storage unavailable';

/** How long a push waits for the commit graph to take its commits before answering without it. */
const GRAPH_WAIT_MS = 2_000;

/** The "ng" reason git prints for a ref update the store refused. */
function refusal(result: RefUpdateResult): string | null {
  if (result.ok) return null;
  return result.reason === 'stale' ? 'stale info' : `refname conflict with ${result.conflictsWith}`;
}

/**
 * Handles one push as its body arrives (the command list already read, the pack still in
 * `reader`): stream the pack into storage under a temporary name while verifying it (ingestPack:
 * its objects within the limits and passing the object checks), check every link is of the type
 * it claims, check every command (ref name, objects present and connected, protected branches,
 * tags never move, the current branch is not deleted, the ref still at the client's old value and
 * not clashing with another ref's folder), publish the pack only if some command can still
 * succeed (.pack, then .idx: the .idx is what makes it visible), then move refs by
 * compare-and-swap from the client's old ids through applyRefUpdates, per ref or all at once for
 * `atomic`. A refused pack is removed and the rest of the body drained before the report.
 * Returns the report it sent; throws TooManyBytes past the push limit and the source's error when
 * the client goes away (nothing is left behind either way).
 */
export async function serveReceivePack(ctx: ReceiveContext, req: ReceivePackRequest, reader: ByteReader, sink: ResponseSink): Promise<PushReport> {
  const outcomes: Outcome[] = req.commands.map((cmd) => ({ cmd, error: null }));
  const needsPack = req.commands.some((c) => c.new !== null);
  const packStart = reader.position;
  let staged: StagedPack | null = null;
  let published = false;
  let unpack = 'ok';
  try {
    if (needsPack || !(await reader.atEnd())) {
      const result = await ingestPack(reader, { store: ctx.store, lookup: (oid) => ctx.odb.read(oid), limits: ctx.limits }).catch(async (e: unknown) => {
        // Storage refusing the pack's parts for now (a read-only vbucket, a failover): git is told
        // why and when to retry, after the rest of its pack is read.
        const reason = refusedForNowReason(ctx, e);
        await reader.drain();
        return err(reason);
      });
      if (result.ok) {
        staged = result.value;
        const objects = staged.objects;
        const badLink = await checkLinkTypes(linksOf(objects), (oid) => objects.get(oid)?.type ?? ctx.odb.typeOf(oid));
        if (badLink !== null) unpack = badLink;
      } else {
        unpack = result.error;
        // git is still sending: read the rest (within the push limit) so it reads the report.
        await reader.drain();
      }
      ctx.observer?.packBytes('in', reader.position - packStart);
      if (unpack === 'ok' && staged !== null) {
        ctx.observer?.packObjects('in', staged.objects.size);
        if (staged.appendedBases > 0) await progress(sink, req, `Completed thin pack with ${staged.appendedBases} local objects\n`);
      } else {
        ctx.logger.warn({ repo: ctx.store.name, error: unpack, bytes: reader.position - packStart }, 'receive-pack refused a pack');
      }
    }
    if (unpack !== 'ok') {
      const refused = unpack.startsWith(REFUSED_FOR_NOW) ? unpack : 'unpacker error';
      const report = { unpack, results: outcomes.map((o) => ({ ref: o.cmd.ref, error: refused })) };
      await writeReport(sink, req, report);
      return report;
    }
    const stopKeepAlive = keepAlive(sink, req, ctx.keepAliveMs);
    let report: PushReport;
    try {
      report = await applyCommands(ctx, req, outcomes, staged, async () => {
        await (staged as StagedPack).publish();
        published = true;
        ctx.odb.invalidate();
      });
    } finally {
      stopKeepAlive();
    }
    await writeReport(sink, req, report);
    return report;
  } finally {
    if (staged !== null && !published) await staged.discard().catch((e: unknown) => ctx.logger.warn({ repo: ctx.store.name, error: String(e) }, 'a refused pack could not be removed'));
  }
}

/** Checks and applies the commands once the pack (if any) is verified and staged. */
async function applyCommands(ctx: ReceiveContext, req: ReceivePackRequest, outcomes: Outcome[], staged: StagedPack | null, publish: () => Promise<void>): Promise<PushReport> {
  const unpack = 'ok';
  const received = staged?.objects ?? new Map<string, ReceivedObject>();
  const receivedCommits = staged?.commits ?? new Map<string, CommitInfo>();
  const commitOf = async (oid: string): Promise<CommitInfo | null> => receivedCommits.get(oid) ?? (await ctx.odb.commit(oid));
  const headTarget = await readHeadTarget(ctx.store);
  const checked = new Set<string>();
  for (const o of outcomes) o.error = await checkCommand(ctx, o.cmd, { received, commitOf, headTarget, checked });
  const update = (o: Outcome): RefUpdate => ({ ref: o.cmd.ref, old: o.cmd.old, new: o.cmd.new });
  const moving = (): Outcome[] => outcomes.filter((o) => o.error === null && !(o.cmd.old === null && o.cmd.new === null));
  // Judged now so that a push none of whose commands can succeed stores nothing.
  const candidates = moving();
  const prechecked = await precheckRefUpdates(ctx.store, candidates.map(update));
  candidates.forEach((o, i) => (o.error = refusal(prechecked[i] as RefUpdateResult)));

  const atomic = req.caps.has('atomic');
  if (atomic && outcomes.some((o) => o.error !== null)) {
    for (const o of outcomes) if (o.error === null) o.error = 'atomic push failure';
  }
  const accepted = moving();
  // Storage refusing for now (a read-only vbucket, a failover): every command not yet done is
  // rejected with the reason and when to retry, which git prints; the pack is not kept.
  const refusedForNow = (e: unknown, pending: Outcome[]): void => {
    const reason = refusedForNowReason(ctx, e);
    for (const o of pending) o.error = reason;
  };
  let stored = true;
  if (accepted.length > 0 && staged !== null && staged.objects.size > 0) {
    await publish().catch((e: unknown) => {
      stored = false;
      refusedForNow(e, accepted);
    });
  }
  const refCtx = { actor: ctx.actor, via: 'git' as const, events: ctx.events };
  const apply = (os: Outcome[]): Promise<RefUpdateResult | null> =>
    applyRefUpdates(ctx.store, os.map(update), refCtx).catch((e: unknown) => {
      refusedForNow(e, os);
      return null;
    });
  if (!stored) {
    // nothing more to try
  } else if (atomic && accepted.length > 0) {
    const result = await apply(accepted);
    if (result !== null && !result.ok) {
      for (const o of accepted) {
        const own = result.reason === 'name-conflict' && result.ref === o.cmd.ref;
        o.error = own ? refusal(result) : (await readRef(ctx.store, o.cmd.ref)) === o.cmd.old ? 'atomic push failure' : 'stale info';
      }
    }
  } else if (accepted.length > 1 && (await apply(accepted))?.ok !== false) {
    // Every command moved in one swap (a mirror push of thousands of refs is one round trip), or
    // storage refused them all for now; only a refusal of the swap has each tried alone, so each
    // gets its own answer.
  } else {
    for (const [i, o] of accepted.entries()) {
      const result = await apply([o]);
      if (result === null) {
        for (const rest of accepted.slice(i + 1)) rest.error = o.error;
        break;
      }
      o.error = refusal(result);
    }
  }
  const report = { unpack: stored ? unpack : accepted[0]?.error ?? unpack, results: outcomes.map((o) => ({ ref: o.cmd.ref, error: o.error })) };
  // The commit graph takes the new history now rather than at the first read: within the push when
  // quick, in the background (the push answered) when it takes longer.
  const landed = outcomes.filter((o) => o.error === null && o.cmd.new !== null && o.cmd.ref.startsWith('refs/heads/')).map((o) => o.cmd.new as string);
  if (landed.length > 0) {
    const extended = graphCovering(ctx.odb, landed, true).then(
      () => undefined,
      (e: unknown) => ctx.logger.warn({ repo: ctx.store.name, error: e instanceof Error ? e.message : String(e) }, 'commit graph not extended after a push'),
    );
    await Promise.race([extended, new Promise((resolve) => setTimeout(resolve, GRAPH_WAIT_MS).unref())]);
  }
  ctx.logger.info(
    { repo: ctx.store.name, actor: ctx.actor, results: report.results, objects: staged?.objects.size ?? 0, bytes: staged?.bytes ?? 0, options: req.pushOptions },
    'receive-pack done',
  );
  return report;
}

function* linksOf(objects: Map<string, ReceivedObject>): Iterable<{ from: string; link: TypedLink }> {
  for (const [oid, obj] of objects) for (const link of obj.links) yield { from: `${obj.type} ${oid}`, link };
}

/** Ancestry over the stored commit graph, with the pushed commits (not stored yet) answered first. */
async function pushedHistory(odb: ObjectStore, commitOf: (oid: string) => Promise<CommitInfo | null>): Promise<CommitSource> {
  const stored = commitSource(odb, await loadGraph(odb));
  return { ...stored, commit: commitOf };
}

async function readHeadTarget(store: RepoStore): Promise<string | null> {
  const [head] = await store.readMany(['/HEAD']);
  const text = head?.toString('utf8').trim() ?? '';
  return text.startsWith('ref: ') ? text.slice(5) : null;
}

interface CheckInput {
  received: Map<string, ReceivedObject>;
  commitOf: (oid: string) => Promise<CommitInfo | null>;
  headTarget: string | null;
  checked: Set<string>;
}

/** The "ng" reason for a command, or null when it may proceed to the compare-and-swap. */
async function checkCommand(ctx: ReceiveContext, cmd: RefCommand, input: CheckInput): Promise<string | null> {
  if (!isValidRefName(cmd.ref)) return 'funny refname';
  if (cmd.new === null) {
    if (cmd.old === null) return null;
    if (isProtected(cmd.ref, ctx.policy)) return 'deletion of a protected branch is refused';
    if (cmd.ref === input.headTarget) return 'deletion of the current branch prohibited';
    return null;
  }
  const missing = await findMissingObject(cmd.new, input.received, ctx.odb, input.checked);
  if (missing !== null) return 'missing necessary objects';
  const type = input.received.get(cmd.new)?.type ?? (await ctx.odb.typeOf(cmd.new));
  if (cmd.ref.startsWith('refs/heads/') && type !== 'commit') return 'branches must point to commits';
  if (cmd.old !== null && cmd.ref.startsWith('refs/tags/')) return 'tags never move';
  if (cmd.old !== null && isProtected(cmd.ref, ctx.policy) && !(await isAncestor(await pushedHistory(ctx.odb, input.commitOf), cmd.old, cmd.new))) {
    return 'non-fast-forward update of a protected branch is refused';
  }
  return null;
}
