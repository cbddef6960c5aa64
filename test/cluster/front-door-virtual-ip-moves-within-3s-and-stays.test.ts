/**
 * The HA front door (npm run cluster -- start --ha): two nodes, each a network namespace with an
 * nginx and a keepalived, a virtual IP between them. Clients read (retrying a failed read, as
 * a client of a floating address must), write through the REST API and push with git, all through
 * the virtual IP, while the node holding it loses, in turn, its nginx (kill -9 of master and
 * workers), its keepalived (kill -9 of every keepalived process), and every process it runs. Each
 * time: the address is on the other node within 3 s, requests fail only between the kill and the
 * move (plus SETTLE_MS), every read is answered in the end, every acknowledged write and push is
 * there afterwards, and the node that recovers does not take the address back (nopreempt).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenOf, isAlive, runningPids } from '../../nginx/index.js';
import { namespacePids, vipHolders, type FrontDoorNode } from '../../nginx/netns.js';
import { restartRole } from '../../nginx/cluster.js';
import { nginxConfOf } from '../../nginx/front-door.js';
import { clusterStatus, statusText } from '../../nginx/cluster-status.js';
import { readFileSync } from 'node:fs';
import { createBranch, createRepo, getPath, mustPut, putFile, type Api } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';
import { freshClone, GitSandbox, gitUrl, missingFromHistory, newPushLog, pushLoop } from './helpers/git.js';
import { describe as list, exchange, faultUnderLoad, loop, ok, sleep, type Outcome } from './helpers/load.js';

const REPO = 'front-door';
const FILES = 8;
/**
 * REST writes and reads go to their own branch: writes on main would make every git push stale,
 * and a read of main while a push on another front end updates it was once answered 404 "No ref
 * named main" (a ref-store race outside the front door, reported separately; not this test's subject).
 */
const REST_BRANCH = 'rest';
/** What the issue promises: the address moves within 3 s. */
const MOVE_BOUND_MS = 3_000;
/**
 * After the move, requests may still fail this long: connections the client opened to the dead
 * node are reset once the other one answers for the address, and a pooled one is only found dead
 * when used. Measured: see docs/operations.md, "The HA front door".
 */
const SETTLE_MS = 1_000;
/** Longer than keepalived's rise (2 checks, 1 s apart) plus a few adverts: a node that would take the address back has done so. */
const NO_TAKEBACK_WAIT_MS = 6_000;

/** Requests of one kind in a phase: how many, how many failed. */
type Tally = [total: number, failed: number];

interface PhaseReport {
  fault: string;
  /** Node names: the address moved from one to the other. */
  move: [from: string, to: string];
  killAt: number;
  movedAt: number;
  reads: Tally;
  writes: Tally;
  pushes: Tally;
  /** From the kill to the end of the last failed read (0: none failed). */
  readOutageMs: number;
  /** The longest a read waited for its answer, from its first attempt (retries and waiting connections included). */
  longestReadMs: number;
  /** Read attempts begun between the kill and the move: answered, failed. */
  readsDuringMove: [answered: number, failed: number];
}

describe('HA front door: a virtual IP over two nginx + keepalived nodes in network namespaces', () => {
  let cluster: TestCluster;
  let api: Api;
  const git = new GitSandbox();
  const pushes = newPushLog();
  const writes: { path: string; content: string; res: Outcome }[] = [];
  const reports: PhaseReport[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 2, frontDoors: 2, name: 'front-door' });
    api = { base: cluster.url, auth: cluster.auth };
    await createRepo(api, REPO);
    for (let i = 0; i < FILES; i++) await mustPut(api, REPO, `docs/f${i}.md`, `file ${i}\n`);
    await createBranch(api, REPO, REST_BRANCH);
  }, 240_000);

  afterAll(async () => {
    const tally = ([total, failed]: Tally) => `${failed}/${total} failed`;
    for (const r of reports) {
      console.info(
        `front door, kill -9 of ${r.fault} on ${r.move[0]} at ${new Date(r.killAt).toISOString()}: the address on ${r.move[1]} after ${r.movedAt - r.killAt} ms; ` +
          `reads ${tally(r.reads)} (last ${r.readOutageMs} ms after the kill), the longest answered ${r.longestReadMs} ms after its first attempt, begun during the move ${r.readsDuringMove[0]} answered and ${r.readsDuringMove[1]} failed; writes ${tally(r.writes)}; git pushes ${tally(r.pushes)}`,
      );
    }
    await cluster?.stop();
    git.cleanup();
  }, 120_000);

  const net = () => cluster.state.frontDoor!;
  const nodeNamed = (name: string): FrontDoorNode => net().nodes.find((n) => n.name === name)!;

  /** A read through the virtual IP, tried again (100 ms apart, 20 s at most) until answered: every attempt. */
  async function readRetried(path: string): Promise<Outcome[]> {
    const attempts: Outcome[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await exchange('GET', `${api.base}/repos/${REPO}/contents/${path}?ref=${REST_BRANCH}`, { headers: api.auth, timeoutMs: 2_000 });
      attempts.push(res);
      if (ok(res) || Date.now() > deadline) return attempts;
      await sleep(100);
    }
  }

  async function killAll(pids: number[]): Promise<void> {
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some((pid) => isAlive(pid))) {
      if (Date.now() > deadline) throw new Error(`still alive 10 s after SIGKILL: ${pids.join(' ')}`);
      await sleep(20);
    }
  }

  /** Traffic through the virtual IP, the fault on the node holding it, the move measured, the node recovered, no takeback. */
  async function failover(fault: string, kill: (node: FrontDoorNode) => Promise<void>, recover: (node: FrontDoorNode) => Promise<void>): Promise<PhaseReport> {
    const holders = vipHolders(net());
    expect(holders, 'exactly one node holds the address before the fault').toHaveLength(1);
    const from = nodeNamed(holders[0]!);
    const to = net().nodes.find((n) => n.name !== from.name)!;
    const reads: Outcome[][] = [];
    const phaseWrites: Outcome[] = [];
    const pushesBefore = { acknowledged: pushes.acknowledged.length, failed: pushes.failed.length };
    let killAt = 0;
    let movedAt = 0;
    await faultUnderLoad({
      traffic: (stop) =>
        Promise.all([
          loop(4, { iterations: 5_000, until: Date.now() + 90_000, stop }, async (worker, i) => {
            reads.push(await readRetried(`docs/f${(worker + i) % FILES}.md`));
          }),
          loop(2, { iterations: 2_000, until: Date.now() + 90_000, stop }, async (worker, i) => {
            const path = `writes/${fault}/w${worker}-${i}.txt`;
            const content = `${fault} worker ${worker} write ${i} ${Math.random()}\n`;
            const res = await putFile(api, REPO, path, content, REST_BRANCH);
            phaseWrites.push(res);
            writes.push({ path, content, res });
            // A client backs off a little after an error (and the count of failures means something).
            if (!ok(res)) await sleep(100);
          }),
          pushLoop(git, gitUrl(cluster.url, REPO), cluster.token, `clone-${fault}`, { iterations: 200, until: Date.now() + 90_000, stop }, pushes, 3),
        ]),
      warm: () => reads.length >= 20 && phaseWrites.length >= 5 && pushes.acknowledged.length > pushesBefore.acknowledged,
      warmWithinMs: 60_000,
      fault: async () => {
        // The other node's nginx master is a process in its namespace: its /proc/<pid>/net shows that namespace.
        const witness = runningPids(cluster.process(`nginx-${to.name}`))[0]!;
        killAt = Date.now();
        await kill(from);
        // Polled every 20 ms beside the traffic, by a file read (no process to start on a busy box).
        const deadline = killAt + 15_000;
        while (!holdsAddress(witness, net().vip)) {
          if (Date.now() > deadline) throw new Error(`the address did not move to ${to.name} within 15 s of the kill`);
          await sleep(20);
        }
        movedAt = Date.now();
      },
      afterMs: 3_000,
    });

    const attempts = reads.flat();
    const failedReads = attempts.filter((o) => !ok(o));
    const failedWrites = phaseWrites.filter((o) => !ok(o));
    const failedPushes = pushes.failed.slice(pushesBefore.failed);
    const report: PhaseReport = {
      fault,
      move: [from.name, to.name],
      killAt,
      movedAt,
      reads: [attempts.length, failedReads.length],
      writes: [phaseWrites.length, failedWrites.length],
      pushes: [pushes.acknowledged.length - pushesBefore.acknowledged + failedPushes.length, failedPushes.length],
      readOutageMs: failedReads.length === 0 ? 0 : Math.max(...failedReads.map((o) => o.end)) - killAt,
      longestReadMs: Math.max(...reads.map((chain) => chain.at(-1)!.end - chain[0]!.start)),
      readsDuringMove: [ok, (o: Outcome) => !ok(o)].map((f) => attempts.filter((o) => o.start >= killAt && o.start <= movedAt && f(o)).length) as [number, number],
    };
    reports.push(report);

    // The node comes back before anything is judged, so a failed phase leaves the next one two nodes.
    const keepalivedLog = cluster.process(`keepalived-${from.name}`).log;
    const logBefore = readFileSync(keepalivedLog, 'utf8').length;
    await recover(from);
    await sleep(NO_TAKEBACK_WAIT_MS);
    const holdersAfter = vipHolders(net());
    const since = readFileSync(keepalivedLog, 'utf8').slice(logBefore);

    expect(movedAt - killAt, 'the address moved within the bound').toBeLessThanOrEqual(MOVE_BOUND_MS);
    // Every read was answered in the end; those that failed, failed between the kill and the move (+ SETTLE_MS).
    expect(reads.filter((chain) => !ok(chain.at(-1)!)).map((chain) => chain.at(-1)!), 'reads never answered').toEqual([]);
    const outside = (o: { end: number }) => o.end < killAt || o.end > movedAt + SETTLE_MS;
    expect(failedReads.filter(outside), list(failedReads.filter(outside))).toEqual([]);
    expect(report.longestReadMs, 'no read waits longer than the move and the settling for its answer').toBeLessThanOrEqual(MOVE_BOUND_MS + SETTLE_MS);
    expect(failedWrites.filter(outside), list(failedWrites.filter(outside))).toEqual([]);
    expect(failedPushes.filter((p) => p.at < killAt)).toEqual([]);
    // The traffic went on through the other node.
    expect(attempts.filter((o) => o.start > movedAt + SETTLE_MS && ok(o)).length).toBeGreaterThan(10);

    expect(holdersAfter, `${from.name} recovered and must not take the address back`).toEqual([to.name]);
    expect((await getPath(api, REPO, 'docs/f0.md', REST_BRANCH)).status).toBe(200);
    // The recovered node's keepalived is a backup, ready to take over next time; it never became master.
    expect(since).toContain('Entering BACKUP STATE');
    expect(since).not.toContain('Entering MASTER STATE');
    return report;
  }

  it('status names the one node holding the address, and every nginx has the same upstreams', async () => {
    const status = await clusterStatus(cluster.dir);
    expect(status.frontDoor).toMatchObject({ ready: true, vip: net().vip, vipHolders: vipHolders(net()) });
    expect(status.frontDoor.vipHolders).toHaveLength(1);
    expect(statusText(status).join('\n')).toContain(`virtual IP ${net().vip} held by ${status.frontDoor.vipHolders![0]}`);
    const upstreams = net().nodes.map((n) => readFileSync(nginxConfOf(cluster.dir, `nginx-${n.name}`), 'utf8').match(/^\s+server \S+ max_fails.*$/gm));
    expect(upstreams[0]).toHaveLength(2);
    expect(upstreams[1]).toEqual(upstreams[0]);
  }, 60_000);

  it('kill -9 of nginx (master and workers) on the node holding the address', async () => {
    await failover(
      'nginx',
      async (node) => {
        const master = runningPids(cluster.process(`nginx-${node.name}`))[0]!;
        await killAll([master, ...childrenOf(master).map((c) => c.pid)]);
      },
      async (node) => void (await restartRole(cluster.dir, `nginx-${node.name}`)),
    );
  }, 240_000);

  it('kill -9 of keepalived on the node holding the address (the address stays on its interface, unannounced)', async () => {
    await failover(
      'keepalived',
      async (node) => killAll(namespacePids(node.netns).filter((pid) => commandOf(pid) === 'keepalived')),
      async (node) => void (await restartRole(cluster.dir, `keepalived-${node.name}`)),
    );
  }, 240_000);

  it('kill -9 of every process of the node holding the address', async () => {
    await failover(
      'node',
      async (node) => killAll(namespacePids(node.netns)),
      async (node) => {
        await restartRole(cluster.dir, `nginx-${node.name}`);
        await restartRole(cluster.dir, `keepalived-${node.name}`);
      },
    );
  }, 240_000);

  it('no acknowledged write or push is lost (read back through the virtual IP)', async () => {
    const missing: string[] = [];
    for (const w of writes.filter((x) => ok(x.res))) {
      const read = await getPath(api, REPO, w.path, REST_BRANCH);
      if (read.status !== 200 || read.text !== w.content) missing.push(`${w.path}: ${read.status}`);
    }
    expect(missing).toEqual([]);
    expect(pushes.acknowledged.length).toBeGreaterThan(3);
    const history = await freshClone(git, gitUrl(cluster.url, REPO), cluster.token, 'check');
    expect(missingFromHistory(history, pushes.acknowledged)).toEqual([]);
  }, 120_000);
});

/** Whether the network namespace of `pid` has `address` as a local address (its /proc/<pid>/net/fib_trie lists it "host LOCAL"). */
function holdsAddress(pid: number, address: string): boolean {
  const lines = readFileSync(`/proc/${pid}/net/fib_trie`, 'utf8').split('\n');
  return lines.some((line, i) => line.trim() === `|-- ${address}` && lines[i + 1]?.includes('host LOCAL') === true);
}

/** The program name of a process (/proc/<pid>/comm), '' when it is gone. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
