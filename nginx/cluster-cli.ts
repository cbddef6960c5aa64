#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DEPLOYMENT, renderDeployment } from './deployment.js';
import { readState, restartRole, startCluster, stopCluster } from './cluster.js';
import { clusterStatus, statusText } from './cluster-status.js';
import { rotateLogs } from './log-rotation.js';

/**
 * npm run cluster -- start|stop|status|restart [--json] [--role NAME] [--frontends 2] [--shards 3] [--copies 3] [--etcd-members 1] [--supervisors 2] [--port 8080] [--dir .cluster] [--ha] [--front-doors 2]
 * A CLI: it talks to the operator on stdout/stderr.
 */
const USAGE = `usage: npm run cluster -- start|stop|status|restart|deployment|rotate-logs [options]
  start     start etcd, shards, supervisors, front ends and nginx; wait until ready; print where they are
            (again on a stopped folder: the same data comes back, on new ports; an old folder's map is adopted)
            --ha: the full-HA front door: an nginx and a keepalived in each of --front-doors (2) network
            namespaces, a virtual IP between them (root; installs keepalived and curl when missing)
  stop      stop everything gracefully (front ends finish in-flight requests; etcd last); removes --ha's namespaces
  status    processes, front door, shards, read-only vbuckets, copies short or catching up, the last
            failover (--json: the same as JSON); exit 0 healthy, 1 degraded (writes still taken),
            2 writes refused somewhere, 3 down
  deployment  write the deployment profiles (all-in-one/, mini-ha/, full-ha/: systemd units, environment
            files, nginx.conf, keepalived.conf) to --out DIR (--prefix /opt/content-repo: where the built
            service is installed; --user content-repo; --node /usr/bin/node; full HA: --hosts A,B,C (three
            or more private addresses), --vip 10.0.0.100/24, --interface eth0)
  rotate-logs  rotate the folder's logs over 50 MB (keeps 5, compressed; <dir>/logrotate.conf), with
            Debian's logrotate (installed when missing); run it from cron
  restart   restart front ends one at a time, each out of nginx first; --role NAME: that one process,
            of any role (etcd-e1, shard-s2, supervisor-1, frontend-f1, nginx; --ha: nginx-n1, keepalived-n1),
            however it runs now
options:
  --frontends N (2)  --shards M (3)  --copies K (3)  --port P (8080)  --dir DIR (.cluster)
  --etcd-members E (1; 3 for a real quorum; a folder keeps the members it was created with)  --supervisors S (2)
  --max-body-bytes B (52428800)  --max-push-bytes B (2147483648)  --trace  --role NAME  --json  --help
  --ha  --front-doors N (2 with --ha)`;

function parseCommandLine(): ReturnType<typeof parseOptions> {
  try {
    return parseOptions();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exit(2);
  }
}

const parseOptions = () =>
  parseArgs({
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
    frontends: { type: 'string', default: '2' },
    shards: { type: 'string', default: '3' },
    copies: { type: 'string', default: '3' },
    'etcd-members': { type: 'string' },
    supervisors: { type: 'string', default: '2' },
    port: { type: 'string', default: '8080' },
    dir: { type: 'string', default: '.cluster' },
    'max-body-bytes': { type: 'string', default: String(50 * 1024 * 1024) },
    'max-push-bytes': { type: 'string' },
    trace: { type: 'boolean', default: false },
    ha: { type: 'boolean', default: false },
    'front-doors': { type: 'string' },
    role: { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    prefix: { type: 'string' },
    user: { type: 'string' },
    node: { type: 'string' },
    hosts: { type: 'string' },
    vip: { type: 'string' },
    interface: { type: 'string' },
  },
  });

const { values, positionals } = parseCommandLine();

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const int = (name: string, value: string | undefined, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};

async function main(): Promise<void> {
  const command = positionals[0];
  if (values.help === true) {
    say(USAGE);
    return;
  }
  const dir = values.dir!;
  if (command === 'start') {
    const shards = int('shards', values.shards, 1);
    const copies = int('copies', values.copies, 1);
    if (copies > shards) throw new Error('--copies cannot exceed --shards');
    const state = await startCluster({
      dir,
      frontends: int('frontends', values.frontends, 1),
      shards,
      copies,
      ...(values['etcd-members'] === undefined ? {} : { etcdMembers: int('etcd-members', values['etcd-members'], 1) }),
      supervisors: int('supervisors', values.supervisors, 1),
      port: int('port', values.port, 1),
      maxBodyBytes: int('max-body-bytes', values['max-body-bytes'], 1),
      ...(values['max-push-bytes'] === undefined ? {} : { maxPushBytes: int('max-push-bytes', values['max-push-bytes'], 1) }),
      trace: values.trace,
      ...(values.ha === true || values['front-doors'] !== undefined ? { frontDoors: int('front-doors', values['front-doors'] ?? '2', 2) } : {}),
      log: say,
    });
    say(`\ncluster running at ${state.url}`);
    for (const p of state.processes) say(`  ${p.role.padEnd(13)} pid ${String(p.pid).padEnd(8)} ${p.port === undefined ? '' : `port ${p.port}`.padEnd(11)} log ${p.log}`);
    if (state.frontDoor !== undefined) say(`  virtual IP ${state.frontDoor.vip} on bridge ${state.frontDoor.bridge}; nodes ${state.frontDoor.nodes.map((n) => `${n.name} ${n.address} (ip netns exec ${n.netns})`).join(', ')}`);
    say(`  admin token: ${state.adminTokenFile}`);
    say(`  state: ${state.dir}/state.json   (npm run cluster -- stop|status --dir ${dir})`);
  } else if (command === 'stop') {
    await stopCluster(dir, say);
    say('cluster stopped');
  } else if (command === 'restart') {
    // Without --role: the front ends, one at a time, out of nginx first: no request is dropped.
    const state = readState(dir);
    if (state === null) throw new Error(`no cluster state in ${dir}`);
    const roles = values.role === undefined ? state.processes.filter((p) => p.role.startsWith('frontend')).map((p) => p.role) : [values.role];
    for (const role of roles) {
      const next = await restartRole(dir, role);
      say(`${role} restarted (pid ${next.pid})`);
    }
  } else if (command === 'deployment') {
    if (values.out === undefined) throw new Error(`deployment needs --out DIR\n${USAGE}`);
    const given = { prefix: values.prefix, user: values.user, node: values.node, hosts: values.hosts?.split(',').map((h) => h.trim()), vip: values.vip, interface: values.interface };
    const settings = { ...DEFAULT_DEPLOYMENT, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
    for (const [name, text] of renderDeployment(settings)) {
      const file = join(values.out, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      say(file);
    }
  } else if (command === 'rotate-logs') {
    rotateLogs(dir, say);
  } else if (command === 'status') {
    const status = await clusterStatus(dir);
    if (values.json === true) say(JSON.stringify(status, null, 2));
    else for (const line of statusText(status)) say(line);
    process.exitCode = status.exitCode;
  } else {
    throw new Error(command === undefined ? USAGE : `unknown command "${command}"\n${USAGE}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  // A status that finds no cluster to ask says "down", not "degraded".
  process.exit(positionals[0] === 'status' ? 3 : 1);
});
