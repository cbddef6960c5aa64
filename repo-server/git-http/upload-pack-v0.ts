import { err, isOid, type ObjectStore, ok, type Result, type RefSnapshot } from '../git/index.js';
import { parseCapabilities } from './capabilities.js';
import { checkWants, streamPack } from './fetch-pack.js';
import type { GitHttpLogger } from './logger.js';
import { Negotiator } from './negotiation.js';
import { FLUSH, PktReader, pktLine } from './pkt-line.js';
import type { ResponseSink } from './response-sink.js';
import { planShallow } from './shallow.js';
import { PackChannel, SIDE_BAND_64K_MAX, SIDE_BAND_MAX } from './side-band.js';
import type { GitHttpObserver } from './types.js';

type NegotiationEvent = { kind: 'have'; oid: string } | { kind: 'flush' } | { kind: 'done' } | { kind: 'end' };

export interface V0UploadRequest {
  wants: string[];
  caps: Set<string>;
  clientShallow: string[];
  depth: number;
  events: NegotiationEvent[];
}

/**
 * Parses a whole v0/v1 upload-pack request (gitprotocol-pack "Packfile Negotiation") before
 * anything is answered, so a malformed body is a 400 and never a half-written response.
 */
export function parseV0UploadRequest(body: Buffer): Result<V0UploadRequest> {
  const reader = new PktReader(body);
  const req: V0UploadRequest = { wants: [], caps: new Set(), clientShallow: [], depth: 0, events: [] };
  if (reader.atEnd()) return ok(req);
  for (;;) {
    const pkt = reader.next();
    if (!pkt.ok) return pkt;
    if (pkt.value.kind === 'flush') break;
    if (pkt.value.kind !== 'data') return err('unexpected special packet in want list');
    const line = pkt.value.data.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('want ')) {
      const oid = line.slice(5, 45);
      if (!isOid(oid)) return err(`protocol error: expected want <oid>, got '${line}'`);
      if (req.wants.length === 0) {
        const nul = line.indexOf('\0');
        const capText = nul >= 0 ? line.slice(nul + 1) : line.slice(46);
        req.caps = parseCapabilities(capText).names;
      }
      req.wants.push(oid);
    } else if (line.startsWith('shallow ')) {
      const oid = line.slice(8);
      if (!isOid(oid)) return err(`protocol error: bad shallow line '${line}'`);
      req.clientShallow.push(oid);
    } else if (line.startsWith('deepen ')) {
      const n = Number(line.slice(7));
      if (!Number.isInteger(n) || n <= 0) return err(`protocol error: bad deepen line '${line}'`);
      req.depth = n;
    } else if (line.startsWith('deepen-since ') || line.startsWith('deepen-not ') || line.startsWith('filter ')) {
      return err(`upload-pack: '${line.split(' ')[0]}' is not supported by this server`);
    } else {
      return err(`protocol error: unexpected line in want list: '${line}'`);
    }
  }
  while (!reader.atEnd()) {
    const pkt = reader.next();
    if (!pkt.ok) return pkt;
    if (pkt.value.kind === 'flush') {
      req.events.push({ kind: 'flush' });
      continue;
    }
    if (pkt.value.kind !== 'data') return err('unexpected special packet in have list');
    const line = pkt.value.data.toString('utf8').replace(/\n$/, '');
    if (line === 'done') {
      req.events.push({ kind: 'done' });
      break;
    }
    const oid = line.slice(5);
    if (!line.startsWith('have ') || !isOid(oid)) return err(`git upload-pack: expected SHA1 list, got '${line}'`);
    req.events.push({ kind: 'have', oid });
  }
  req.events.push({ kind: 'end' });
  return ok(req);
}

export interface UploadContext {
  odb: ObjectStore;
  snapshot: RefSnapshot;
  logger: GitHttpLogger;
  observer?: GitHttpObserver | undefined;
}

/**
 * Answers one stateless round exactly as upload-pack.c get_common_commits does with
 * multi_ack / multi_ack_detailed / no-done, then streams the pack when negotiation is over.
 * Returns an error only before the first byte was written (the caller sends it as ERR).
 */
export async function serveV0UploadPack(ctx: UploadContext, req: V0UploadRequest, sink: ResponseSink): Promise<Result<void>> {
  if (req.wants.length === 0) return ok(undefined);
  const { odb } = ctx;
  const wantsOk = await checkWants(odb, ctx.snapshot, req.wants);
  if (!wantsOk.ok) return wantsOk;
  const clientShallow = new Set<string>();
  for (const s of req.clientShallow) if ((await odb.commit(s)) !== null) clientShallow.add(s);
  const plan = await planShallow(odb, { wants: req.wants, clientShallow, depth: req.depth, relative: req.caps.has('deepen-relative') });
  if (!plan.ok) return plan;
  if (req.depth > 0) {
    const lines = [...plan.value.shallow.map((c) => `shallow ${c}\n`), ...plan.value.unshallow.map((c) => `unshallow ${c}\n`)];
    await sink.write(Buffer.concat([...lines.map((l) => pktLine(l)), FLUSH]));
  }

  // A stateless client that asked to deepen first sends only its wants and reads the shallow
  // list; the body ending right there means "no negotiation yet" (upload_pack's EOF peek).
  if (req.events.length === 1) return ok(undefined);

  const multiAck = req.caps.has('multi_ack_detailed') ? 'detailed' : req.caps.has('multi_ack') ? 'plain' : 'none';
  const noDone = req.caps.has('no-done');
  const negotiator = new Negotiator(odb);
  let gotCommon = false;
  let gotOther = false;
  let sentReady = false;
  let last = '';
  const say = (line: string): Promise<void> => sink.write(pktLine(`${line}\n`));
  let sendIt = false;
  for (const ev of req.events) {
    if (ev.kind === 'flush' || ev.kind === 'end') {
      if (multiAck === 'detailed' && gotCommon && !gotOther && (await negotiator.okToGiveUp(req.wants))) {
        sentReady = true;
        await say(`ACK ${last} ready`);
      }
      if (negotiator.common.length === 0 || multiAck !== 'none') await say('NAK');
      if (noDone && sentReady) {
        await say(`ACK ${last}`);
        sendIt = true;
      }
      // Stateless RPC: the round ends here unless no-done let us go straight to the pack.
      break;
    }
    if (ev.kind === 'done') {
      if (negotiator.common.length > 0) {
        if (multiAck !== 'none') await say(`ACK ${last}`);
      } else {
        await say('NAK');
      }
      sendIt = true;
      break;
    }
    if (await negotiator.have(ev.oid)) {
      gotCommon = true;
      last = ev.oid;
      if (multiAck === 'detailed') await say(`ACK ${ev.oid} common`);
      else if (multiAck === 'plain') await say(`ACK ${ev.oid} continue`);
      else if (negotiator.common.length === 1) await say(`ACK ${ev.oid}`);
    } else {
      gotOther = true;
      if (multiAck !== 'none' && (await negotiator.okToGiveUp(req.wants))) {
        if (multiAck === 'detailed') {
          sentReady = true;
          await say(`ACK ${ev.oid} ready`);
        } else {
          await say(`ACK ${ev.oid} continue`);
        }
      }
    }
  }
  if (!sendIt) return ok(undefined);

  const sideBand = req.caps.has('side-band-64k') || req.caps.has('side-band');
  const channel = new PackChannel(sink, {
    sideBand,
    frameMax: req.caps.has('side-band-64k') ? SIDE_BAND_64K_MAX : SIDE_BAND_MAX,
    progress: !req.caps.has('no-progress'),
  });
  await streamPack(
    ctx,
    {
      wants: req.wants,
      common: negotiator.common,
      shallow: plan.value,
      clientShallow,
      includeTag: req.caps.has('include-tag'),
      ofsDelta: req.caps.has('ofs-delta'),
      thinPack: req.caps.has('thin-pack'),
    },
    channel,
  );
  return ok(undefined);
}
