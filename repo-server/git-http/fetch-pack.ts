import { enumerateObjects, err, type ObjectStore, ok, type PackStats, peel, reachableFrom, type Result, writePack, writeWholeRepository, type RefSnapshot } from '../git/index.js';
import type { GitHttpLogger } from './logger.js';
import type { ShallowPlan } from './shallow.js';
import type { PackChannel } from './side-band.js';
import type { GitHttpObserver } from './types.js';

export interface FetchPackRequest {
  wants: string[];
  /** Haves we share with the client. */
  common: string[];
  shallow: ShallowPlan;
  clientShallow: Set<string>;
  includeTag: boolean;
  ofsDelta: boolean;
  thinPack: boolean;
}

/**
 * A want must be what a ref (or a peeled tag) points at now, or reachable from one: over
 * stateless HTTP refs can move between the advertisement and the POST, and git accepts an
 * old tip that is still in history. Anything else is "not our ref", so a client cannot fetch
 * objects no ref reaches (deleted branches) by guessing ids.
 */
export async function checkWants(odb: ObjectStore, snapshot: RefSnapshot, wants: string[]): Promise<Result<void>> {
  const tips = new Set<string>();
  for (const oid of snapshot.refs.values()) {
    tips.add(oid);
    const p = await peel(odb, oid);
    if (p !== null) tips.add(p);
  }
  if (snapshot.headOid !== null) tips.add(snapshot.headOid);
  const missing = new Set(wants.filter((w) => !tips.has(w)));
  if (missing.size === 0) return ok(undefined);
  for (const w of missing) if ((await odb.commit(w)) === null) return err(`upload-pack: not our ref ${w}`);
  const seen = new Set<string>();
  const stack = [...tips];
  const budget = 1_000_000;
  while (stack.length > 0 && missing.size > 0 && seen.size < budget) {
    const oid = stack.pop() as string;
    if (seen.has(oid)) continue;
    seen.add(oid);
    missing.delete(oid);
    const info = await odb.commit(oid);
    if (info !== null) for (const p of info.parents) if (!seen.has(p)) stack.push(p);
  }
  const first = missing.values().next();
  return first.done === true ? ok(undefined) : err(`upload-pack: not our ref ${first.value}`);
}

/** Tags pointing into what is being sent, for include-tag (git sends them unasked then). */
async function tagsFor(odb: ObjectStore, snapshot: RefSnapshot, sending: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const [name, oid] of snapshot.refs) {
    if (!name.startsWith('refs/tags/') || sending.has(oid)) continue;
    const target = await peel(odb, oid);
    if (target !== null && sending.has(target)) {
      out.push(oid);
      sending.add(oid);
    }
  }
  return out;
}

/** What sending a pack needs from the request's context. */
export interface PackSource {
  odb: ObjectStore;
  snapshot: RefSnapshot;
  logger: GitHttpLogger;
  observer?: GitHttpObserver | undefined;
}

/**
 * The end of every fetch: the pack (sendPack), a band-3 message if it failed midway, the closing
 * flush, then the pack's bytes (as written, whichever path built it) and objects to the observer.
 */
export async function streamPack(src: PackSource, req: FetchPackRequest, channel: PackChannel): Promise<void> {
  const sent = await sendPack(src, req, channel);
  if (!sent.ok) await channel.fatal(sent.error);
  await channel.finish();
  src.observer?.packBytes('out', channel.packBytesWritten);
  if (sent.ok && !channel.closed) src.observer?.packObjects('out', sent.value.count);
}

/** Decides how to build the pack and streams it on `channel` (band 1), progress on band 2. */
export async function sendPack(src: PackSource, req: FetchPackRequest, channel: PackChannel): Promise<Result<PackStats>> {
  try {
    return await buildAndSend(src, req, channel);
  } catch (e) {
    // Mid-stream the only way to tell the client is band 3; the caller sends it.
    src.logger.error({ err: e }, 'upload-pack failed while sending the pack');
    return err(`upload-pack: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function buildAndSend({ odb, snapshot, logger }: PackSource, req: FetchPackRequest, channel: PackChannel): Promise<Result<PackStats>> {
  const wantSet = new Set(req.wants);
  const heads = [...snapshot.refs.entries()].filter(([name]) => name.startsWith('refs/heads/'));
  const wholeRepo = req.common.length === 0 && !req.shallow.active && heads.length > 0 && heads.every(([, oid]) => wantSet.has(oid));
  const started = Date.now();
  if (wholeRepo) {
    // Only what some ref reaches: a deleted branch's objects, or a refused push's, never leave.
    const reachable = await reachableFrom(odb, snapshot.refs.values());
    if (!reachable.ok) return reachable;
    const stats = await writeWholeRepository(odb, channel, req.ofsDelta, req.wants, reachable.value);
    if (stats !== null) {
      logger.info({ path: 'whole-repository', ...stats, ms: Date.now() - started }, 'upload-pack sent pack');
      return ok(stats);
    }
  }
  const walk = await enumerateObjects(odb, {
    wants: [...req.wants, ...req.shallow.extraWants],
    haves: req.common,
    extraEdges: req.shallow.extraEdges,
    stopAt: req.shallow.stopAt,
    clientShallow: req.clientShallow,
  });
  if (!walk.ok) return walk;
  const objects = walk.value.objects;
  if (req.includeTag) objects.push(...(await tagsFor(odb, snapshot, new Set(objects))));
  await channel.progress(`Enumerating objects: ${objects.length}, done.\n`);
  const stats = await writePack(odb, objects, channel, { ofsDelta: req.ofsDelta, thinBases: req.thinPack ? walk.value.known : null });
  await channel.progress(`Total ${stats.count} (delta ${stats.deltas}), reused ${stats.reused} (delta ${stats.deltas})\n`);
  logger.info({ path: 'enumerated', ...stats, ms: Date.now() - started }, 'upload-pack sent pack');
  return ok(stats);
}
