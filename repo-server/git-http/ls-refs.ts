import { err, type ObjectStore, ok, peel, type Result, type RefSnapshot } from '../git/index.js';
import { FLUSH, pktLine } from './pkt-line.js';

/** gitprotocol-v2 "ls-refs": symrefs, peel, ref-prefix (any number), unborn. */
export async function lsRefs(odb: ObjectStore, snapshot: RefSnapshot, args: string[]): Promise<Result<Buffer>> {
  let symrefs = false;
  let peelTags = false;
  let unborn = false;
  const prefixes: string[] = [];
  for (const arg of args) {
    if (arg === 'symrefs') symrefs = true;
    else if (arg === 'peel') peelTags = true;
    else if (arg === 'unborn') unborn = true;
    else if (arg.startsWith('ref-prefix ')) prefixes.push(arg.slice(11));
    else return err(`ls-refs: unexpected argument '${arg}'`);
  }
  const wanted = (name: string): boolean => prefixes.length === 0 || prefixes.some((p) => name.startsWith(p));
  const out: Buffer[] = [];
  if (wanted('HEAD')) {
    const target = symrefs && snapshot.headTarget !== null ? ` symref-target:${snapshot.headTarget}` : '';
    if (snapshot.headOid !== null) out.push(pktLine(`${snapshot.headOid} HEAD${target}\n`));
    else if (unborn && snapshot.headTarget !== null) out.push(pktLine(`unborn HEAD${target}\n`));
  }
  for (const [name, oid] of snapshot.refs) {
    if (!wanted(name)) continue;
    let line = `${oid} ${name}`;
    if (peelTags) {
      const peeled = await peel(odb, oid);
      if (peeled !== null) line += ` peeled:${peeled}`;
    }
    out.push(pktLine(`${line}\n`));
  }
  out.push(FLUSH);
  return ok(Buffer.concat(out));
}
