import { type ObjectStore, peel, ZERO_OID, type RefSnapshot } from '../git/index.js';
import { RECEIVE_PACK_CAPABILITIES, uploadPackV0Capabilities } from './capabilities.js';
import { FLUSH, pktLine } from './pkt-line.js';

export type Service = 'git-upload-pack' | 'git-receive-pack';

/**
 * The v0/v1 discovery body (gitprotocol-http "Smart Clients"): "# service=..." and a flush,
 * an optional "version 1", then the ref list with capabilities after a NUL on the first line:
 * HEAD first when it resolves (upload-pack only, as git-http-backend does), refs in C-locale
 * order, each annotated tag followed by its peeled "^{}" line. An empty repository sends one
 * "capabilities^{}" line so the client still learns the capabilities.
 */
export async function v0Advertisement(
  service: Service,
  snapshot: RefSnapshot,
  odb: ObjectStore,
  version1: boolean,
): Promise<Buffer> {
  const caps = service === 'git-upload-pack' ? uploadPackV0Capabilities(snapshot.headTarget) : RECEIVE_PACK_CAPABILITIES;
  const lines: string[] = [];
  if (service === 'git-upload-pack' && snapshot.headOid !== null) lines.push(`${snapshot.headOid} HEAD`);
  for (const [name, oid] of snapshot.refs) {
    lines.push(`${oid} ${name}`);
    // receive-pack advertises no peeled lines (git's receive-pack does not either).
    if (service === 'git-upload-pack') {
      const peeled = await peel(odb, oid);
      if (peeled !== null) lines.push(`${peeled} ${name}^{}`);
    }
  }
  if (lines.length === 0) lines.push(`${ZERO_OID} capabilities^{}`);
  const parts: Buffer[] = [pktLine(`# service=${service}\n`), FLUSH];
  if (version1) parts.push(pktLine('version 1\n'));
  lines.forEach((line, i) => parts.push(pktLine(i === 0 ? `${line}\0${caps.join(' ')}\n` : `${line}\n`)));
  parts.push(FLUSH);
  return Buffer.concat(parts);
}
