import { err, isOid, ok, type Result, ZERO_OID } from '../git/index.js';
import { parseCapabilities } from './capabilities.js';
import { PktReader } from './pkt-line.js';

export interface RefCommand {
  old: string | null;
  new: string | null;
  ref: string;
}

export interface ReceivePackRequest {
  commands: RefCommand[];
  caps: Set<string>;
  shallow: string[];
  pushOptions: string[];
  /** Bytes after the command list: the pack, absent when every command is a delete. */
  pack: Buffer;
}

/**
 * update-requests (gitprotocol-pack "Reference Update Request"): optional shallow lines,
 * "<old> <new> <ref>" commands with capabilities after a NUL on the first, a flush, push
 * options and a flush when push-options was negotiated, then the raw pack.
 */
export function parseReceivePackRequest(body: Buffer): Result<ReceivePackRequest> {
  const reader = new PktReader(body);
  const req: ReceivePackRequest = { commands: [], caps: new Set(), shallow: [], pushOptions: [], pack: Buffer.alloc(0) };
  for (;;) {
    const pkt = reader.next();
    if (!pkt.ok) return pkt;
    if (pkt.value.kind === 'flush') break;
    if (pkt.value.kind !== 'data') return err('protocol error: unexpected special packet in command list');
    let line = pkt.value.data.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('shallow ')) {
      if (!isOid(line.slice(8))) return err(`protocol error: bad shallow line '${line}'`);
      req.shallow.push(line.slice(8));
      continue;
    }
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      if (req.commands.length === 0) req.caps = parseCapabilities(line.slice(nul + 1)).names;
      line = line.slice(0, nul);
    }
    const m = /^([0-9a-f]{40}) ([0-9a-f]{40}) (.+)$/.exec(line);
    if (m === null) return err(`protocol error: expected old/new/ref, got '${line}'`);
    req.commands.push({
      old: m[1] === ZERO_OID ? null : (m[1] as string),
      new: m[2] === ZERO_OID ? null : (m[2] as string),
      ref: m[3] as string,
    });
  }
  if (req.caps.has('push-options') && req.commands.length > 0) {
    const opts = reader.readSection();
    if (!opts.ok) return opts;
    if (opts.value.end !== 'flush') return err('protocol error: expected flush after push options');
    req.pushOptions = opts.value.lines;
  }
  req.pack = reader.rest();
  return ok(req);
}
