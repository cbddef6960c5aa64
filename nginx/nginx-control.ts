import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The direct children of a process (Linux /proc), with their command lines. */
export function childrenOf(pid: number): { pid: number; title: string }[] {
  const out: { pid: number; title: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces: the ppid follows the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(name), title: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** SIGHUP to the nginx master; resolves once new workers run and every old one has exited. */
export async function reloadNginx(master: number, timeoutMs = 30_000): Promise<void> {
  const before = new Set(childrenOf(master).map((c) => c.pid));
  process.kill(master, 'SIGHUP');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const children = childrenOf(master);
    const fresh = children.filter((c) => !before.has(c.pid) && c.title.includes('worker process'));
    if (fresh.length > 0 && children.every((c) => !before.has(c.pid))) return;
    if (Date.now() > deadline) throw new Error(`nginx reload did not finish: ${JSON.stringify(children)}`);
    await sleep(50);
  }
}

/**
 * Takes an upstream out of nginx (or puts it back): its server line gets `down`, then a reload.
 * New workers never send it anything; old workers finish their requests to it before they exit.
 */
export async function setUpstreamDown(conf: string, master: number, address: string, down: boolean): Promise<void> {
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const line = new RegExp(`(server ${escaped})( down)?( [^;]*;)`);
  const before = readFileSync(conf, 'utf8');
  if (!line.test(before)) throw new Error(`no upstream line for ${address} in ${conf}`);
  writeFileSync(conf, before.replace(line, (_, server: string, _down: string | undefined, rest: string) => `${server}${down ? ' down' : ''}${rest}`));
  await reloadNginx(master);
}
