/**
 * Cost that grows with the answer, not with the history: our server (`npm start`, embedded, a
 * child process) and native git on the same generated repositories, in the same run, through the
 * same nginx where git is involved. Median of RUNS runs, with the range.
 *
 *   path history of a rare and of a frequent file at 1,000 / 10,000 / 50,000 commits, against
 *     `git log -n 100 -- PATH` on a clone with a changed-path commit-graph
 *   every page of the whole history by `next` links (the last page against the first)
 *   a push creating 2,000 refs, against native git http-backend
 *   GET /branches and /tags with 10,000 refs, first answer and warm
 *   a folder of 10,000 files, cold and warm
 *   resident memory of the idle server before and after a workload of large clones
 *
 * Run: npx tsx test/bench/scaling.ts   (--help: --sizes 1000,10000 for a shorter run, --parts refs,memory
 * for some of the measures, --runs N)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOptions } from '../../fs-service/common/cli-options.js';
import { startEmbeddedServer } from '../conformance/helpers/embedded-server.js';
import { GitSandbox } from '../repo-server/git-http/helpers/git-client.js';
import { median, startBesideNative, stopAll, timed, waitFor } from './helpers/beside-native.js';

const PARTS = ['history', 'pages', 'refs', 'lists', 'folder', 'memory'] as const;
const options = readOptions('npx tsx test/bench/scaling.ts', {
  sizes: { env: 'SCALING_SIZES', default: '1000,10000,50000', help: 'history lengths, in commits (the largest is paged through and cloned)' },
  parts: { env: 'SCALING_PARTS', default: PARTS.join(','), help: `measures to take, of ${PARTS.join(', ')}` },
  runs: { env: 'SCALING_RUNS', default: '3', help: 'runs of each measure (median and range)' },
});
const RUNS = Number(options.runs);
const SIZES = (options.sizes as string).split(',').map(Number);
const WANTED = new Set((options.parts as string).split(','));
for (const part of WANTED) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`unknown part ${part}; parts are ${PARTS.join(', ')}`);
const MiB = 1024 * 1024;

interface Row {
  what: string;
  ours: number[];
  native?: number[];
  unit?: string;
}

const rows: Row[] = [];

function rss(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

function range(xs: number[]): string {
  return `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
}

/** A history of `n` commits: rare.txt only in the first, frequent.txt every 100th, other files in between. */
function historyScript(n: number): Buffer {
  const parts: string[] = [];
  let t = 1_700_000_000;
  for (let c = 0; c < n; c++) {
    parts.push(`commit refs/heads/main\nmark :${c + 1}\ncommitter B <b@example.test> ${t} +0000\ndata 7\ncommit\n`);
    t += 60;
    if (c > 0) parts.push(`from :${c}\n`);
    if (c === 0) parts.push('M 100644 inline rare.txt\ndata 5\nrare\n');
    if (c % 100 === 0) parts.push(`M 100644 inline frequent.txt\ndata ${String(c).length + 1}\n${c}\n`);
    parts.push(`M 100644 inline dir${c % 50}/f${c % 500}.md\ndata ${String(c).length + 1}\n${c}\n\n`);
  }
  parts.push('done\n');
  return Buffer.from(parts.join(''));
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'scaling-bench-'));
  const sb = new GitSandbox('scaling-bench-');
  // MALLOC_ARENA_MAX as the front end's systemd unit sets it (deploy/systemd), unless given.
  const server = await startEmbeddedServer({ env: { AUTH: 'off', RATE_LIMIT: 'off', LOG_LEVEL: 'warn', MAX_BODY_BYTES: String(512 * MiB), MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' } });
  const api = (path: string, init?: RequestInit): Promise<Response> => fetch(`${server.url}${path}`, init);
  const createRepo = async (name: string): Promise<void> => {
    const r = await api(`/repos/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status}`);
  };
  try {
    await api('/healthz');
    const idleBefore = rss(server.pid);
    const { base, nativeRoot } = await startBesideNative(root, Number(new URL(server.url).port));
    await waitFor(`${base}/ours/healthz`);
    const nativeBare = async (name: string): Promise<string> => {
      const dir = join(nativeRoot, `${name}.git`);
      await sb.ok(['init', '-q', '--bare', '-b', 'main', dir]);
      await sb.ok(['config', 'http.receivepack', 'true'], { cwd: dir });
      return dir;
    };

    // Every history, generated and pushed once, whichever part needs it first.
    const pushed = new Set<number>();
    const history = async (n: number): Promise<string> => {
      const src = sb.path(`h${n}`);
      if (pushed.has(n)) return src;
      process.stderr.write(`history of ${n} commits\n`);
      await sb.ok(['init', '-q', '-b', 'main', src]);
      await sb.ok(['fast-import', '--quiet', '--done'], { cwd: src, input: historyScript(n), timeoutMs: 600_000 });
      await createRepo(`h${n}`);
      await sb.ok(['push', '-q', `${base}/ours/h${n}.git`, 'main'], { cwd: src, timeoutMs: 900_000 });
      await sb.ok(['commit-graph', 'write', '--reachable', '--changed-paths'], { cwd: src, timeoutMs: 600_000 });
      pushed.add(n);
      return src;
    };
    const largest = `h${Math.max(...SIZES)}`;

    // 1. Path history at every size; 2. every page of the largest.
    for (const n of WANTED.has('history') ? SIZES : []) {
      const src = await history(n);
      for (const path of ['rare.txt', 'frequent.txt']) {
        const ours: number[] = [];
        const native: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          ours.push(await timed(async () => {
            const r = await api(`/repos/h${n}/commits?path=${path}&per_page=100`);
            if (r.status !== 200) throw new Error(`history: ${r.status}`);
            await r.arrayBuffer();
          }));
          native.push(await timed(() => sb.ok(['log', '-n', '100', '--format=%H', 'main', '--', path], { cwd: src })));
        }
        rows.push({ what: `history of ${path}, ${n} commits`, ours, native });
      }
    }
    if (WANTED.has('pages')) {
      await history(Math.max(...SIZES));
      const pages: number[] = [];
      let next: string | null = `/repos/${largest}/commits?per_page=100`;
      while (next !== null) {
        const url: string = next;
        let link = '';
        pages.push(await timed(async () => {
          const r = await api(url);
          link = r.headers.get('link') ?? '';
          await r.arrayBuffer();
        }));
        const m = /<([^>]+)>;\s*rel="next"/.exec(link);
        next = m === null ? null : (m[1] as string).replace(/^https?:\/\/[^/]+/, '');
      }
      rows.push({ what: `history page 1 of ${largest.slice(1)} commits (100 a page)`, ours: [pages[0] as number] });
      rows.push({ what: `history, slowest of ${pages.length} pages`, ours: [Math.max(...pages)] });
      rows.push({ what: `history, median page`, ours: [median(pages)] });
    }

    // 3. A push creating 2,000 refs (1,000 branches, 1,000 tags) at commits the server has.
    const refsSrc = sb.path('refs-src');
    let commits: string[] = [];
    if (WANTED.has('refs') || WANTED.has('lists')) {
      await sb.ok(['clone', '-q', await history(Math.min(...SIZES)), refsSrc]);
      commits = (await sb.ok(['rev-list', '--max-count=1000', 'HEAD'], { cwd: refsSrc })).trim().split('\n');
    }
    if (WANTED.has('refs')) {
      const refScript = commits.flatMap((c, i) => [`create refs/heads/b${i} ${c}`, `create refs/tags/t${i} ${c}`]).join('\n');
      await sb.ok(['update-ref', '--stdin'], { cwd: refsSrc, input: `${refScript}\n` });
      const pushOurs: number[] = [];
      const pushNative: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        await createRepo(`refs${run}`);
        await sb.ok(['push', '-q', `${base}/ours/refs${run}.git`, 'main'], { cwd: refsSrc, timeoutMs: 300_000 });
        await nativeBare(`refs${run}`);
        await sb.ok(['push', '-q', `${base}/native/refs${run}.git`, 'main'], { cwd: refsSrc, timeoutMs: 300_000 });
        pushOurs.push(await timed(() => sb.ok(['push', '-q', `${base}/ours/refs${run}.git`, '--all'], { cwd: refsSrc, timeoutMs: 600_000 }).then(() => sb.ok(['push', '-q', `${base}/ours/refs${run}.git`, '--tags'], { cwd: refsSrc, timeoutMs: 600_000 }))));
        pushNative.push(await timed(() => sb.ok(['push', '-q', `${base}/native/refs${run}.git`, '--all'], { cwd: refsSrc, timeoutMs: 600_000 }).then(() => sb.ok(['push', '-q', `${base}/native/refs${run}.git`, '--tags'], { cwd: refsSrc, timeoutMs: 600_000 }))));
      }
      rows.push({ what: 'push creating 2,000 refs', ours: pushOurs, native: pushNative });
    }

    // 4. Lists with 10,000 refs: 5,000 branches and 5,000 annotated tags.
    if (WANTED.has('lists')) {
      const manyScript = commits.slice(0, 100).flatMap((c, i) =>
        Array.from({ length: 50 }, (_, k) => `create refs/heads/many/b${i}-${k} ${c}`),
      );
      await sb.ok(['update-ref', '--stdin'], { cwd: refsSrc, input: `${manyScript.join('\n')}\n` });
      const tagScript = commits.slice(0, 100).flatMap((c, i) =>
        Array.from({ length: 50 }, (_, k) => `tag many/t${i}-${k}\nfrom ${c}\ntagger T <t@example.test> 1700000000 +0000\ndata 4\ntag\n`),
      );
      await sb.ok(['fast-import', '--quiet'], { cwd: refsSrc, input: `${tagScript.join('\n')}\n` });
      await createRepo('many');
      await sb.ok(['push', '-q', `${base}/ours/many.git`, 'refs/heads/*:refs/heads/*', 'refs/tags/many/*:refs/tags/many/*'], { cwd: refsSrc, timeoutMs: 900_000 });
      for (const list of ['branches', 'tags']) {
        const first = await timed(() => api(`/repos/many/${list}`).then((r) => r.arrayBuffer()));
        const warm: number[] = [];
        for (let run = 0; run < RUNS; run++) warm.push(await timed(() => api(`/repos/many/${list}`).then((r) => r.arrayBuffer())));
        rows.push({ what: `GET /${list} with 10,000 refs, first`, ours: [first] });
        rows.push({ what: `GET /${list} with 10,000 refs, warm`, ours: warm });
      }
    }

    // 5. A folder of 10,000 files.
    if (WANTED.has('folder')) {
      const folderSrc = sb.path('folder');
      await sb.ok(['init', '-q', '-b', 'main', folderSrc]);
      const files = Array.from({ length: 10_000 }, (_, i) => `M 100644 inline big/file${i}.md\ndata ${String(i).length + 1}\n${i}\n`).join('');
      await sb.ok(['fast-import', '--quiet', '--done'], { cwd: folderSrc, input: `commit refs/heads/main\ncommitter B <b@example.test> 1700000000 +0000\ndata 6\nfiles\n${files}\ndone\n`, timeoutMs: 300_000 });
      await createRepo('folder');
      await sb.ok(['push', '-q', `${base}/ours/folder.git`, 'main'], { cwd: folderSrc, timeoutMs: 300_000 });
      const cold = await timed(() => api('/repos/folder/contents/big').then((r) => r.arrayBuffer()));
      const warm: number[] = [];
      for (let run = 0; run < RUNS; run++) warm.push(await timed(() => api('/repos/folder/contents/big').then((r) => r.arrayBuffer())));
      rows.push({ what: 'folder of 10,000 files, first listing', ours: [cold] });
      rows.push({ what: 'folder of 10,000 files, warm', ours: warm });
    }

    // 6. Memory: large clones, then idle.
    if (WANTED.has('memory')) {
      await history(Math.max(...SIZES));
      for (let run = 0; run < RUNS; run++) {
        const dir = sb.path(`clone-${run}`);
        await sb.ok(['clone', '-q', '--bare', `${base}/ours/${largest}.git`, dir], { timeoutMs: 900_000 });
        rmSync(dir, { recursive: true, force: true });
      }
      const busy = rss(server.pid);
      await new Promise((r) => setTimeout(r, 5_000));
      const idleAfter = rss(server.pid);
      // Past the git cache's idle time (GIT_CACHE_IDLE_SECONDS, 60 by default), the next look at
      // it (every quarter of that) and a quiet spell (5 s).
      await new Promise((r) => setTimeout(r, 85_000));
      const idleLater = rss(server.pid);
      // Then every repository of the run is deleted: what the server still holds is what it kept.
      const names = [...[...pushed].map((n) => `h${n}`), ...Array.from({ length: RUNS }, (_, i) => `refs${i}`), 'many', 'folder'];
      // A repository a part did not make answers 404.
      for (const name of names) await api(`/repos/${name}`, { method: 'DELETE' }).then((r) => r.arrayBuffer());
      await new Promise((r) => setTimeout(r, 10_000));
      const idleDeleted = rss(server.pid);
      rows.push({ what: 'server resident memory: idle at start', ours: [idleBefore / MiB], unit: 'MiB' });
      rows.push({ what: `server resident memory: after ${RUNS} clones of ${largest.slice(1)} commits`, ours: [busy / MiB], unit: 'MiB' });
      rows.push({ what: 'server resident memory: idle 5 s later', ours: [idleAfter / MiB], unit: 'MiB' });
      rows.push({ what: 'server resident memory: idle 90 s later', ours: [idleLater / MiB], unit: 'MiB' });
      rows.push({ what: 'server resident memory: 10 s after every repository was deleted', ours: [idleDeleted / MiB], unit: 'MiB' });
    }
  } finally {
    stopAll();
    await server.stop();
    sb.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
  const lines = [
    `| measure (median of ${RUNS}, range) | ours | native git | ours / native |`,
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => {
      const unit = r.unit ?? 'ms';
      const ours = r.ours.length > 1 ? `${median(r.ours).toFixed(0)} ${unit} (${range(r.ours)})` : `${(r.ours[0] as number).toFixed(0)} ${unit}`;
      const native = r.native === undefined ? '' : `${median(r.native).toFixed(0)} ${unit} (${range(r.native)})`;
      const ratio = r.native === undefined ? '' : (median(r.ours) / median(r.native)).toFixed(2);
      return `| ${r.what} | ${ours} | ${native} | ${ratio} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => {
  stopAll();
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
