/**
 * The launcher on one folder, as an operator uses it: `npm run cluster -- start`, write, `stop`,
 * `start` again: every repository and ref is back, with the shards on new ports. The same after
 * kill -9 of every process. A folder made by the supervisor before etcd (its map in
 * supervisor/map.json, no etcd/) is adopted: the map is imported once and the data comes back; a
 * folder with shard data and no map at all is refused with a message saying what to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childrenOf, isAlive, readState, type ClusterState } from '../../nginx/index.js';
import { freePort } from '../../nginx/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'cluster-folder-'));
let port = 0;
let token = '';

/** The launcher's CLI, as `npm run cluster -- ...` runs it; bounded. */
function cluster(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'nginx/cluster-cli.ts'), ...args, '--dir', dir], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, RATE_LIMIT: 'off' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function start(): ClusterState {
  const run = cluster('start', '--port', String(port), '--frontends', '1');
  if (run.status !== 0) throw new Error(`start failed (${run.status}): ${run.stderr}${run.stdout}`);
  return readState(dir)!;
}

/** One request; sent again once when a connection kept from before a restart was closed unanswered (operations.md). */
async function api(method: string, path: string, body?: string, again = true): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': body?.startsWith('{') ? 'application/json' : 'text/plain' }, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(30_000) }).catch((err: unknown) => {
    if (again && err instanceof TypeError) return null;
    throw err;
  });
  if (res === null) return api(method, path, body, false);
  return { status: res.status, text: await res.text() };
}

const REPOS = ['folder-a', 'folder-b', 'folder-c'];

/** Every repository with its branches and tags, as the API lists them. */
async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const repo of REPOS) {
    out[`${repo} branches`] = (await api('GET', `/repos/${repo}/branches`)).text;
    out[`${repo} tags`] = (await api('GET', `/repos/${repo}/tags`)).text;
    out[`${repo} file`] = (await api('GET', `/repos/${repo}/contents/ch1.md?ref=side`)).text;
  }
  return out;
}

const shardPorts = (state: ClusterState) => state.processes.filter((p) => p.role.startsWith('shard-')).map((p) => p.port);

describe('a cluster folder across stop, kill -9 and the old supervisor', () => {
  let before: Record<string, string>;

  beforeAll(async () => {
    port = await freePort();
    start();
    token = readFileSync(join(dir, 'frontends', 'f1', 'admin-token'), 'utf8').trim();
    for (const repo of REPOS) {
      expect((await api('PUT', `/repos/${repo}`, '{}')).status).toBe(201);
      expect((await api('PUT', `/repos/${repo}/contents/ch1.md?message=one`, `# ${repo}`)).status).toBe(201);
      expect((await api('PUT', `/repos/${repo}/branches/side`, '{"from":"main"}')).status).toBe(201);
      expect((await api('PUT', `/repos/${repo}/tags/v1`, '{"ref":"main","message":"v1"}')).status).toBe(201);
    }
    before = await snapshot();
  }, 240_000);

  afterAll(() => {
    const state = readState(dir);
    if (state !== null && state.processes.some((p) => isAlive(p.pid))) cluster('stop');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stop then start: every repository and ref is back, shards on new ports', async () => {
    const first = readState(dir)!;
    expect(cluster('stop').status).toBe(0);
    const second = start();
    expect(await snapshot()).toEqual(before);
    expect(shardPorts(second)).not.toEqual(shardPorts(first));
  }, 240_000);

  it('kill -9 of every process (nginx workers too), then start: everything is back and writable', async () => {
    const state = readState(dir)!;
    const nginx = state.processes.find((p) => p.role === 'nginx')!;
    const pids = [...state.processes.map((p) => p.pid), ...childrenOf(nginx.pid).map((c) => c.pid)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    start();
    expect(await snapshot()).toEqual(before);
    expect((await api('PUT', '/repos/folder-a/contents/ch2.md?message=two', '# two')).status).toBe(201);
  }, 240_000);

  it('a folder of the supervisor before etcd is adopted; one with shard data and no map is refused', async () => {
    // Make the folder what the old launcher left: supervisor/map.json with shard addresses, no etcd/, the secret in state.json only.
    const state = readState(dir)!;
    const map = (await (await fetch(`${state.supervisorUrl}/map`, { headers: { authorization: `Bearer ${state.secret}` } })).json()) as { epoch: number; shards: Record<string, { bootId: string | null; url?: string }> };
    expect(cluster('stop').status).toBe(0);
    for (const [id, info] of Object.entries(map.shards)) info.url = `127.0.0.1:${state.processes.find((p) => p.role === `shard-${id}`)!.port}`;
    mkdirSync(join(dir, 'supervisor'), { recursive: true });
    writeFileSync(join(dir, 'supervisor', 'map.json'), JSON.stringify(map));
    rmSync(join(dir, 'etcd'), { recursive: true, force: true });
    rmSync(join(dir, 'secret'));
    const adopted = start();
    expect(readFileSync(join(dir, 'logs', 'supervisor-1.log'), 'utf8') + readFileSync(join(dir, 'logs', 'supervisor-2.log'), 'utf8')).toContain('adopted the map of the supervisor before etcd');
    const after = await snapshot();
    expect(after['folder-a tags']).toEqual(before['folder-a tags']);
    expect(after['folder-b branches']).toEqual(before['folder-b branches']);
    const epoch = ((await (await fetch(`${adopted.supervisorUrl}/map`, { headers: { authorization: `Bearer ${adopted.secret}` } })).json()) as { epoch: number }).epoch;
    expect(epoch).toBeGreaterThan(map.epoch);

    expect(cluster('stop').status).toBe(0);
    rmSync(join(dir, 'etcd'), { recursive: true, force: true });
    rmSync(join(dir, 'supervisor'), { recursive: true, force: true });
    const refused = cluster('start', '--port', String(port), '--frontends', '1');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('holds shard data but no control state');
    expect(refused.stderr).toContain('Restore supervisor/map.json');
    expect(existsSync(join(dir, 'etcd'))).toBe(false);
  }, 300_000);
});
