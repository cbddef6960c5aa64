import { type ByteReader, err, isOid, ok, type Result, ZERO_OID } from '../git/index.js';
import { parseCapabilities } from './capabilities.js';
import { pktText, readPkt } from './pkt-line.js';

export interface RefCommand {
  old: string | null;
  new: string | null;
  ref: string;
}

/** What comes before the pack; the pack itself stays in the reader, read as it arrives. */
export interface ReceivePackRequest {
  commands: RefCommand[];
  caps: Set<string>;
  shallow: string[];
  pushOptions: string[];
}

/**
 * update-requests (gitprotocol-pack "Reference Update Request"): optional shallow lines,
 * "<old> <new> <ref>" commands with capabilities after a NUL on the first, a flush, push
 * options and a flush when push-options was negotiated; the raw pack follows. At most `maxBytes`
 * of it are read (a mirror push of ten thousand refs takes about a megabyte).
 */
export async function readReceivePackRequest(reader: ByteReader, maxBytes: number): Promise<Result<ReceivePackRequest>> {
  const req: ReceivePackRequest = { commands: [], caps: new Set(), shallow: [], pushOptions: [] };
  const start = reader.position;
  const tooLong = (): boolean => reader.position - start > maxBytes;
  for (;;) {
    const pkt = await readPkt(reader);
    if (!pkt.ok) return pkt;
    if (tooLong()) return err(`protocol error: the command list exceeds ${maxBytes} bytes`);
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
    for (;;) {
      const pkt = await readPkt(reader);
      if (!pkt.ok) return pkt;
      if (tooLong()) return err(`protocol error: the push options exceed ${maxBytes} bytes`);
      if (pkt.value.kind === 'flush') break;
      if (pkt.value.kind !== 'data') return err('protocol error: expected flush after push options');
      req.pushOptions.push(pktText(pkt.value.data));
    }
  }
  return ok(req);
}
