import { err, isOid, ok, type Result } from '../git/index.js';
import { V2_CAPABILITIES } from './capabilities.js';
import { checkWants, streamPack } from './fetch-pack.js';
import { lsRefs } from './ls-refs.js';
import { Negotiator } from './negotiation.js';
import { DELIM, FLUSH, PktReader, pktLine } from './pkt-line.js';
import type { ResponseSink } from './response-sink.js';
import { planShallow } from './shallow.js';
import { PackChannel, SIDE_BAND_64K_MAX } from './side-band.js';
import type { UploadContext } from './upload-pack-v0.js';

/** Discovery answer for `Git-Protocol: version=2` (no "# service" line, as git-http-backend). */
export function v2CapabilityAdvertisement(): Buffer {
  return Buffer.concat([pktLine('version 2\n'), ...V2_CAPABILITIES.map((c) => pktLine(`${c}\n`)), FLUSH]);
}

export interface V2Command {
  command: 'ls-refs' | 'fetch';
  capabilities: string[];
  args: string[];
}

/** command-request = command capability-list [delim-pkt command-args] flush-pkt, repeated. */
export function parseV2Request(body: Buffer): Result<V2Command[]> {
  const reader = new PktReader(body);
  const commands: V2Command[] = [];
  while (!reader.atEnd()) {
    const head = reader.readSection();
    if (!head.ok) return head;
    if (head.value.lines.length === 0 && head.value.end === 'flush') continue;
    const [first, ...capabilities] = head.value.lines;
    if (first === undefined || !first.startsWith('command=')) return err('protocol error: expected command=<name>');
    const name = first.slice(8);
    if (name !== 'ls-refs' && name !== 'fetch') return err(`unknown command '${name}'`);
    let args: string[] = [];
    if (head.value.end === 'delim') {
      const rest = reader.readSection();
      if (!rest.ok) return rest;
      if (rest.value.end !== 'flush') return err('protocol error: expected flush after command arguments');
      args = rest.value.lines;
    }
    commands.push({ command: name, capabilities, args });
  }
  return ok(commands);
}

interface V2FetchArgs {
  wants: string[];
  haves: string[];
  done: boolean;
  thinPack: boolean;
  noProgress: boolean;
  includeTag: boolean;
  ofsDelta: boolean;
  shallow: string[];
  depth: number;
  relative: boolean;
}

function parseFetchArgs(args: string[]): Result<V2FetchArgs> {
  const a: V2FetchArgs = {
    wants: [],
    haves: [],
    done: false,
    thinPack: false,
    noProgress: false,
    includeTag: false,
    ofsDelta: false,
    shallow: [],
    depth: 0,
    relative: false,
  };
  for (const line of args) {
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    switch (key) {
      case 'want':
      case 'have':
      case 'shallow':
        if (!isOid(value)) return err(`fetch: bad ${key} line '${line}'`);
        (key === 'want' ? a.wants : key === 'have' ? a.haves : a.shallow).push(value);
        break;
      case 'done':
        a.done = true;
        break;
      case 'thin-pack':
        a.thinPack = true;
        break;
      case 'no-progress':
        a.noProgress = true;
        break;
      case 'include-tag':
        a.includeTag = true;
        break;
      case 'ofs-delta':
        a.ofsDelta = true;
        break;
      case 'deepen-relative':
        a.relative = true;
        break;
      case 'deepen': {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0) return err(`fetch: bad deepen '${value}'`);
        a.depth = n;
        break;
      }
      default:
        return err(`fetch: unexpected argument '${line}'`);
    }
  }
  return ok(a);
}

/** Runs the commands of one v2 request; returns an error only before anything was written. */
export async function serveV2UploadPack(ctx: UploadContext, commands: V2Command[], sink: ResponseSink): Promise<Result<void>> {
  for (const cmd of commands) {
    if (cmd.command === 'ls-refs') {
      const body = await lsRefs(ctx.odb, ctx.snapshot, cmd.args);
      if (!body.ok) return body;
      await sink.write(body.value);
      continue;
    }
    const parsed = parseFetchArgs(cmd.args);
    if (!parsed.ok) return parsed;
    const r = await v2Fetch(ctx, parsed.value, sink);
    if (!r.ok) return r;
  }
  return ok(undefined);
}

/** gitprotocol-v2 "fetch": acknowledgments (unless done), shallow-info, packfile. */
async function v2Fetch(ctx: UploadContext, a: V2FetchArgs, sink: ResponseSink): Promise<Result<void>> {
  const { odb } = ctx;
  if (a.wants.length === 0) return err('fetch: no wants');
  const wantsOk = await checkWants(odb, ctx.snapshot, a.wants);
  if (!wantsOk.ok) return wantsOk;
  const negotiator = new Negotiator(odb);
  for (const h of a.haves) await negotiator.have(h);
  const out: Buffer[] = [];
  if (!a.done) {
    out.push(pktLine('acknowledgments\n'));
    if (negotiator.common.length === 0) out.push(pktLine('NAK\n'));
    for (const c of negotiator.common) out.push(pktLine(`ACK ${c}\n`));
    const ready = negotiator.common.length > 0 && (await negotiator.okToGiveUp(a.wants));
    if (!ready) {
      out.push(FLUSH);
      await sink.write(Buffer.concat(out));
      return ok(undefined);
    }
    out.push(pktLine('ready\n'), DELIM);
  }
  const clientShallow = new Set<string>();
  for (const s of a.shallow) if ((await odb.commit(s)) !== null) clientShallow.add(s);
  const plan = await planShallow(odb, { wants: a.wants, clientShallow, depth: a.depth, relative: a.relative });
  if (!plan.ok) return plan;
  if (plan.value.active) {
    out.push(pktLine('shallow-info\n'));
    for (const c of plan.value.shallow) out.push(pktLine(`shallow ${c}\n`));
    for (const c of plan.value.unshallow) out.push(pktLine(`unshallow ${c}\n`));
    out.push(DELIM);
  }
  out.push(pktLine('packfile\n'));
  await sink.write(Buffer.concat(out));
  const channel = new PackChannel(sink, { sideBand: true, frameMax: SIDE_BAND_64K_MAX, progress: !a.noProgress });
  await streamPack(
    ctx,
    {
      wants: a.wants,
      common: negotiator.common,
      shallow: plan.value,
      clientShallow,
      includeTag: a.includeTag,
      ofsDelta: a.ofsDelta,
      thinPack: a.thinPack,
    },
    channel,
  );
  return ok(undefined);
}
