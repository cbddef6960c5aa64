/**
 * The deployment profiles (nginx/deployment.ts: all-in-one, mini HA, full HA): every
 * keepalived.conf passes keepalived's own check (`keepalived -t`), every nginx.conf `nginx -t`,
 * and every generated systemd unit passes
 * `systemd-analyze verify` with no diagnostic at all (verify exits 0 on an unknown key or a bad
 * value, so its stderr must be empty too), instantiated the way an operator enables them, with
 * ExecStart binaries that exist on this machine (verify refuses a missing one): this node, Debian's
 * etcd and nginx, the checkout as the prefix. The Node units start the built entry points the bin
 * entries name, keep the secret off the command line, restart on failure and run as a non-root
 * user. deploy/ in the repository is what `npm run cluster -- deployment` writes for the defaults.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOYMENT, ensureCurl, ensureEtcd, ensureKeepalived, ensureNginx, PROFILES, renderDeployment, renderProfile } from '../../nginx/index.js';

const ROOT = process.cwd();
const quiet = () => {};

/** Instances as an operator enables them: content-repo-shard@s1.service ... */
const INSTANCES: Record<string, string> = {
  'content-repo-shard@.service': 's1',
  'content-repo-supervisor@.service': '1',
  'content-repo-frontend@.service': '3000',
  'content-repo-etcd@.service': 'e1',
};

/** verify's exit code and every line it printed (warnings included). */
function verify(dir: string, unit: string): { status: number | null; output: string } {
  const run = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, unit)], { encoding: 'utf8', timeout: 30_000, cwd: dir });
  if (run.error !== undefined) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

/** The units of `files`, each written under `dir` as the instance (or plain unit) an operator starts. */
function instantiate(files: Map<string, string>, dir: string): string[] {
  const units: string[] = [];
  for (const [name, text] of files) {
    if (!name.startsWith('systemd/')) continue;
    const file = name.slice('systemd/'.length);
    writeFileSync(join(dir, file), text);
    const instance = INSTANCES[file];
    if (instance === undefined) {
      units.push(file);
    } else {
      const enabled = file.replace('@.', `@${instance}.`);
      copyFileSync(join(dir, file), join(dir, enabled));
      units.push(enabled);
    }
  }
  return units;
}

describe('the deployment files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deployment-units-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const here = { ...DEFAULT_DEPLOYMENT, prefix: ROOT, node: process.execPath, etcd: ensureEtcd(quiet), nginx: ensureNginx(quiet), keepalived: ensureKeepalived(quiet), curl: ensureCurl(quiet), configDir: dir };
  const files = renderProfile('mini-ha', here);
  const profiles = new Map(PROFILES.map((p) => [p, renderProfile(p, here)]));

  it('mini HA: units for shards, supervisors, front ends, etcd and nginx, and environment file examples', () => {
    expect([...files.keys()].sort()).toEqual([
      'content-repo.env.example',
      'etcd-e1.env.example',
      'nginx.conf',
      'shard-s1.env.example',
      'supervisor-1.env.example',
      'systemd/content-repo-etcd@.service',
      'systemd/content-repo-frontend@.service',
      'systemd/content-repo-nginx.service',
      'systemd/content-repo-shard@.service',
      'systemd/content-repo-supervisor@.service',
      'systemd/content-repo.target',
    ]);
  });

  it('all-in-one: the embedded server (no etcd, no secret) and nginx in front of it', () => {
    const aio = profiles.get('all-in-one')!;
    expect([...aio.keys()].sort()).toEqual(['content-repo.env.example', 'nginx.conf', 'systemd/content-repo-embedded.service', 'systemd/content-repo-nginx.service', 'systemd/content-repo.target']);
    expect(aio.get('systemd/content-repo-embedded.service')).not.toMatch(/cluster-secret|FS_ETCD/);
    expect(aio.get('content-repo.env.example')).not.toMatch(/^FS_ETCD/m);
    expect(aio.get('nginx.conf')).toContain('server 127.0.0.1:3000 ');
  });

  it('full HA: every host its instances, etcd on the first three, nginx and keepalived on the first two, the same upstreams on both', () => {
    const full = profiles.get('full-ha')!;
    const hosts = DEFAULT_DEPLOYMENT.hosts;
    for (const [i, host] of hosts.entries()) {
      const env = full.get(`${host}/content-repo.env`)!;
      expect(env).toContain(`HOST=${host}\n`);
      expect(env).toContain('FS_ETCD=10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379\n');
      expect(full.get(`${host}/etcd-e${i + 1}.env`)).toContain(`ETCD_LISTEN_PEER_URLS=http://${host}:2380`);
      expect(full.get(`${host}/enable.sh`)).toContain(`content-repo-shard@s${i + 1} content-repo-supervisor@${i + 1} content-repo-frontend@3000`);
    }
    const doors = hosts.filter((h) => full.has(`${h}/keepalived.conf`));
    expect(doors).toEqual(hosts.slice(0, 2));
    expect(full.get(`${hosts[0]}/nginx.conf`)).toBe(full.get(`${hosts[1]}/nginx.conf`));
    for (const host of hosts) expect(full.get(`${hosts[0]}/nginx.conf`)).toContain(`server ${host}:3000 `);
    expect(full.get(`${hosts[0]}/keepalived.conf`)).toMatch(/nopreempt/);
    expect(full.get(`${hosts[0]}/keepalived.conf`)).toMatch(new RegExp(`unicast_peer \\{\\s+${hosts[1]!.replace(/\./g, '\\.')}\\s+\\}`));
    expect(full.get(`${hosts[0]}/enable.sh`)).toMatch(/content-repo-nginx content-repo-keepalived$/m);
  });

  it('every unit of every profile passes systemd-analyze verify without a single warning', () => {
    for (const [profile, rendered] of profiles) {
      const unitDir = mkdtempSync(join(dir, `${profile}-`));
      const units = instantiate(rendered, unitDir);
      expect(units.length).toBeGreaterThanOrEqual(3);
      for (const unit of units) expect({ profile, unit, ...verify(unitDir, unit) }).toEqual({ profile, unit, status: 0, output: '' });
    }
  });

  it('every keepalived.conf passes keepalived -t, which refuses a broken one', () => {
    const confs = [...profiles.get('full-ha')!].filter(([name]) => name.endsWith('keepalived.conf'));
    expect(confs).toHaveLength(2);
    for (const [name, text] of confs) expect({ name, ...keepalivedTest(text) }).toEqual({ name, status: 0, output: '' });
    const broken = keepalivedTest(confs[0]![1].replace('nopreempt', 'nopreempted').replace(/priority \d+/, 'priority high'));
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/Unknown keyword 'nopreempted'/);
    expect(broken.output).toMatch(/invalid number 'high'/);
  });

  it('every nginx.conf passes nginx -t, which refuses a broken one', () => {
    const confs = [...profiles].flatMap(([profile, rendered]) => [...rendered].filter(([name]) => name.endsWith('nginx.conf')).map(([name, text]) => [`${profile}/${name}`, text] as const));
    expect(confs).toHaveLength(4);
    for (const [name, text] of confs) expect({ name, ...nginxTest(text) }).toMatchObject({ name, status: 0 });
    const broken = nginxTest(confs[0]![1].replace('proxy_pass http://repo_servers;', 'proxy_pass http://nowhere_servers;'));
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/host not found in upstream "nowhere_servers"/);
  });

  /** `keepalived -t` on a configuration: its exit code and every line it printed. */
  function keepalivedTest(text: string): { status: number | null; output: string } {
    const file = join(mkdtempSync(join(dir, 'keepalived-')), 'keepalived.conf');
    writeFileSync(file, text);
    const run = spawnSync(here.keepalived, ['-t', '-f', file], { encoding: 'utf8', timeout: 30_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
  }

  /** `nginx -t` on a configuration, its state and cache folders moved under a temp folder (nginx -t opens its logs). */
  function nginxTest(text: string): { status: number | null; output: string } {
    const root = mkdtempSync(join(dir, 'nginx-'));
    const moved = text.replaceAll('/var/lib/content-repo/nginx', join(root, 'state')).replaceAll('/var/cache/content-repo/nginx', join(root, 'cache'));
    mkdirSync(join(root, 'state', 'logs'), { recursive: true });
    mkdirSync(join(root, 'cache'), { recursive: true });
    writeFileSync(join(root, 'nginx.conf'), moved);
    const run = spawnSync(here.nginx, ['-t', '-p', join(root, 'state'), '-c', join(root, 'nginx.conf')], { encoding: 'utf8', timeout: 30_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
  }

  it('the verification fails a broken unit (an unknown key, a bad Restart=, a missing binary)', () => {
    const broken = mkdtempSync(join(dir, 'broken-'));
    const shard = files.get('systemd/content-repo-shard@.service')!;
    writeFileSync(join(broken, 'typo@s1.service'), shard.replace('Restart=on-failure', 'Restart=sometimes\nRestartSecs=2'));
    const typo = verify(broken, 'typo@s1.service');
    expect(typo.output).toMatch(/Failed to parse service restart specifier/);
    expect(typo.output).toMatch(/Unknown key 'RestartSecs'/);
    writeFileSync(join(broken, 'missing@s1.service'), shard.replace(`ExecStart=${process.execPath}`, 'ExecStart=/nonexistent/node'));
    const missing = verify(broken, 'missing@s1.service');
    expect(missing.status).not.toBe(0);
    expect(missing.output).toMatch(/is not executable/);
  });

  it('Node units run a built entry point the bin entries name, as a non-root user, restarted on failure, the secret a credential', () => {
    const bins = Object.values((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin);
    for (const role of ['shard', 'supervisor', 'frontend']) {
      const unit = files.get(`systemd/content-repo-${role}@.service`)!;
      const start = /^ExecStart=(\S+) (\S+)$/m.exec(unit);
      expect(start?.[1]).toBe(process.execPath);
      const entry = start![2]!.slice(ROOT.length + 1);
      expect(bins).toContain(entry);
      // dist/x.js is compiled from x.ts (tsconfig.build.json).
      expect(readdirSync(join(ROOT, entry.replace(/^dist\//, ''), '..'))).toContain(entry.split('/').at(-1)!.replace(/\.js$/, '.ts'));
      expect(unit).toMatch(/^Restart=on-failure$/m);
      expect(unit).toMatch(/^User=content-repo$/m);
      expect(unit).toContain(`LoadCredential=cluster-secret:${join(dir, 'cluster-secret')}`);
      expect(unit).toMatch(/^Environment=FS_CLUSTER_SECRET_FILE=%d\/cluster-secret$/m);
      expect(unit).not.toMatch(/FS_CLUSTER_SECRET=|--secret/);
      expect(unit).toMatch(/^Environment=PID_FILE=\/run\/content-repo\//m);
    }
    expect(files.get('systemd/content-repo-shard@.service')).toMatch(/^StateDirectory=content-repo\/shards\/%i$/m);
    expect(files.get('systemd/content-repo-shard@.service')).toMatch(/^Environment=FS_SHARD_DATA=\/var\/lib\/content-repo\/shards\/%i$/m);
    expect(files.get('systemd/content-repo-etcd@.service')).toMatch(/^User=content-repo$/m);
  });

  it('the etcd example carries the launcher\'s own etcd settings, and nginx.conf its front ends', () => {
    const etcd = files.get('etcd-e1.env.example')!;
    expect(etcd).toContain('ETCD_NAME=e1\n');
    expect(etcd).toContain('ETCD_DATA_DIR=/var/lib/content-repo/etcd-e1\n');
    expect(etcd).toContain('ETCD_INITIAL_CLUSTER=e1=http://10.0.0.1:2380,e2=http://10.0.0.2:2380,e3=http://10.0.0.3:2380\n');
    expect(files.get('content-repo.env.example')).toContain('FS_ETCD=10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379\n');
    for (const frontend of DEFAULT_DEPLOYMENT.frontends) expect(files.get('nginx.conf')).toContain(`server ${frontend}`);
  });

  it('deployment --hosts --vip --interface renders full HA for other hosts: a folder each, keepalived on the first two', () => {
    const out = join(dir, 'four');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'nginx/cluster-cli.ts', 'deployment', '--out', out, '--hosts', '192.168.5.1,192.168.5.2,192.168.5.3,192.168.5.4', '--vip', '192.168.5.50/24', '--interface', 'ens3'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(readdirSync(join(out, 'full-ha')).sort()).toEqual(['192.168.5.1', '192.168.5.2', '192.168.5.3', '192.168.5.4', 'systemd']);
    expect(readFileSync(join(out, 'full-ha', '192.168.5.2', 'keepalived.conf'), 'utf8')).toMatch(/192\.168\.5\.50\/24 dev ens3/);
    expect(readdirSync(join(out, 'full-ha', '192.168.5.4')).sort()).toEqual(['content-repo.env', 'enable.sh', 'shard-s4.env', 'supervisor-4.env']);
    expect(readFileSync(join(out, 'full-ha', '192.168.5.1', 'nginx.conf'), 'utf8')).toContain('server 192.168.5.4:3000 ');
  });

  it('deploy/ is what `npm run cluster -- deployment --out deploy` writes for the defaults: a folder per profile', () => {
    const out = join(dir, 'out');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'nginx/cluster-cli.ts', 'deployment', '--out', out], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    for (const [name, text] of renderDeployment(DEFAULT_DEPLOYMENT)) {
      expect(readFileSync(join(out, name), 'utf8')).toBe(text);
      expect(readFileSync(join(ROOT, 'deploy', name), 'utf8'), `deploy/${name} is stale: npm run cluster -- deployment --out deploy`).toBe(text);
    }
  });
});
