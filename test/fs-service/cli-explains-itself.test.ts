/** The shard, supervisor and admin entry points explain themselves: --help succeeds, an unknown option is refused with the usage before anything starts. */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'fs-service-cli-'));
const secret = 'a'.repeat(64);

function run(file: string, ...args: string[]) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', `fs-service/${file}`, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, FS_CLUSTER_SECRET: secret } });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('fs-service entry points', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const entries = {
    'shard/shard-main.ts': ['--id', '--etcd', '--cluster', '--port', '--host', '--data', '--secret', '--replicate-timeout', '--advertise', '--lease-ttl', '--claim-wait', '--help'],
    'control/supervisor-main.ts': ['--etcd', '--cluster', '--secret', '--name', '--host', '--port', '--replicas', '--initial-shards', '--adopt-map', '--election-ttl', '--help'],
    'control/admin-main.ts': ['status', 'map', 'move', '--supervisor', '--secret', '--vb', '--from', '--to', '--help'],
  };
  for (const [file, words] of Object.entries(entries)) {
    it(`${file} --help prints every option and succeeds`, () => {
      const help = run(file, '--help');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: tsx fs-service/${file}`));
      for (const word of words) expect(help.stdout).toContain(word);
      expect(run(file, '-h')).toMatchObject({ status: 0, stdout: help.stdout });
    });
  }

  it('a shard with an unknown option exits 2 with the usage: no data folder, nothing listening', () => {
    const data = join(root, 's1');
    const refused = run('shard/shard-main.ts', '--id', 's1', '--data', data, '--replicate-timout', '3000');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("Unknown option '--replicate-timout'");
    expect(refused.stderr).toContain('usage: tsx fs-service/shard/shard-main.ts');
    expect(refused.stdout).toBe('');
    expect(existsSync(data)).toBe(false);
  });

  it('a supervisor with an unknown option or a stray argument exits 2 with the usage: nothing written, nothing listening', () => {
    const adopt = join(root, 'map.json');
    for (const [args, message] of [
      [['--shard', 's1=127.0.0.1:1'], "Unknown option '--shard'"],
      [['--etcd', '127.0.0.1:1', 'start'], "Unexpected argument 'start'"],
    ] as const) {
      const refused = run('control/supervisor-main.ts', ...args, '--adopt-map', adopt);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).toContain('usage: tsx fs-service/control/supervisor-main.ts');
      expect(refused.stdout).toBe('');
    }
    expect(existsSync(adopt)).toBe(false);
  });

  it('admin commands refuse an unknown option or command with the usage and exit 2, sending nothing', async () => {
    let requests = 0;
    const supervisor = createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => supervisor.listen(0, '127.0.0.1', resolve));
    const at = `127.0.0.1:${(supervisor.address() as AddressInfo).port}`;
    try {
      for (const [args, message] of [
        [['move', '--vb', '3', '--form', 's1', '--to', 's2'], "Unknown option '--form'"],
        [['stats'], 'unknown command "stats"'],
        [['toString'], 'unknown command "toString"'],
        [[], 'no command given'],
        [['map', 'extra'], 'unexpected argument "extra"'],
      ] as const) {
        const refused = run('control/admin-main.ts', '--supervisor', at, ...args);
        expect(refused.status).toBe(2);
        expect(refused.stderr).toContain(message);
        expect(refused.stderr).toContain('usage: tsx fs-service/control/admin-main.ts');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(requests).toBe(0);
    } finally {
      supervisor.close();
    }
  });
});
