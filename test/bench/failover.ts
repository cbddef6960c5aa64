/**
 * Failover benchmark (not a vitest test):   npx tsx test/bench/failover.ts [--runs 10]
 *
 * Three shard processes with three copies, etcd and two supervisors on 127.0.0.1, production
 * timings (shard lease 2 s, election lease 2 s, etcd raft 100/1000 ms). One client writes a ref of
 * one repository in a loop; the primary of its vbucket is killed with SIGKILL; the figure is the
 * time from the kill to the first acknowledged write sent after it. The shard is started again and
 * caught up before the next run. Prints every run, the median and the range, beside the figure
 * measured the same way on the supervisor before etcd (REFERENCE), as a ratio.
 *
 * It first measures what etcd costs a write: 200 writes, their median latency, and how many etcd
 * requests (range, put, txn) the whole cluster made meanwhile, read from etcd's own /metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { vbucketOf } from '../../fs-service/index.js';
import { ClusterHarness } from '../fs-service/cluster-harness.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = Number(values.runs);
const REPO = 'failover';
/** The same bench on main before etcd (commit 7876bff, supervisor heartbeat 500 ms, dead after 2 s), 10 runs. */
const REFERENCE = { median: 2665, min: 2652, max: 2733 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const root = mkdtempSync(join(tmpdir(), 'bench-failover-'));
const cluster = new ClusterHarness(root);
try {
  await cluster.startEtcd(1, { heartbeatMs: 100, electionMs: 1_000 });
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  await cluster.startSupervisor();
  const client = await cluster.connect();
  const repo = client.repo(REPO);
  const vb = vbucketOf(REPO);

  // etcd on the write path: requests counted by etcd itself around 200 sequential writes.
  const etcdCounters = async (): Promise<Record<string, number>> => {
    const text = await (await fetch(`http://${cluster.etcd[0]}/metrics`)).text();
    const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    return { range: sum('etcd_mvcc_range_total'), put: sum('etcd_mvcc_put_total'), txn: sum('etcd_mvcc_txn_total') };
  };
  const latencies: number[] = [];
  const counted = await etcdCounters();
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await repo.fs.promises.writeFile('/refs/heads/cost', `${i}\n`);
    latencies.push(performance.now() - t);
  }
  const after = await etcdCounters();
  latencies.sort((a, b) => a - b);
  console.log(
    `200 replicated writes: median ${latencies[100]!.toFixed(2)} ms; etcd requests meanwhile (whole cluster, lease keep-alives are not among them): ` +
      `range ${after.range! - counted.range!}, put ${after.put! - counted.put!}, txn ${after.txn! - counted.txn!}`,
  );
  const acks: { start: number; end: number }[] = [];
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const start = Date.now();
      try {
        await repo.fs.promises.writeFile('/refs/heads/main', `${i}\n`);
        acks.push({ start, end: Date.now() });
      } catch {
        await sleep(5);
      }
    }
  })();
  const rejoined = async (id: string): Promise<boolean> => {
    const status = (await cluster.adminRequest('GET', '/status')).body as { epoch: number; shards: Record<string, { alive: boolean; bootId: string; epoch: number; catchingUp: boolean }> };
    const map = (await cluster.adminRequest('GET', '/map')).body as { shards: Record<string, { bootId: string }> };
    const shard = status.shards[id]!;
    return shard.alive && shard.epoch === status.epoch && shard.catchingUp === false && map.shards[id]!.bootId === shard.bootId;
  };

  const figures: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    await waitFor('writes before the kill', async () => acks.length > 0 && Date.now() - acks.at(-1)!.end < 200);
    await sleep(300);
    await client.refreshMap();
    const victim = client.map.vbuckets[vb]!.copies[0]!;
    const killedAt = Date.now();
    await cluster.kill(victim);
    await waitFor('a write acknowledged after the kill', async () => acks.some((a) => a.start >= killedAt), 30_000);
    const ms = acks.find((a) => a.start >= killedAt)!.end - killedAt;
    figures.push(ms);
    console.log(`run ${run}: primary ${victim} killed, first write sent after the kill acknowledged after ${ms} ms`);
    await cluster.restart(victim);
    await waitFor(`${victim} to rejoin`, () => rejoined(victim));
    // Caught up means in the primary's in-sync set again only once a catch-up of this vbucket ran.
    await sleep(3_000);
  }
  writing = false;
  await writer;
  await client.close();
  const sorted = [...figures].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(`\nfailover (kill -9 of a primary to the first acknowledged write), ${RUNS} runs: median ${median} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms`);
  console.log(`before etcd (REFERENCE): median ${REFERENCE.median} ms, min ${REFERENCE.min} ms, max ${REFERENCE.max} ms; ratio of medians ${(median / REFERENCE.median).toFixed(2)}, of maxima ${(sorted.at(-1)! / REFERENCE.max).toFixed(2)}`);
} finally {
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
}
