/** `npm start` and `npm run tokens` explain themselves: --help succeeds, an unknown option or command is refused with the usage before storage is opened. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FRONT_END_FLAGS } from '../../repo-server/config.js';

const root = mkdtempSync(join(tmpdir(), 'repo-server-cli-'));
const dataDir = join(root, 'data');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DATA_DIR: dataDir, FS_ETCD: '', PORT: '0', ...env } });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('npm start', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('--help and -h print every flag and environment variable with its default, and succeed', () => {
    const help = run('repo-server/main.ts', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm start/);
    for (const flag of Object.keys(FRONT_END_FLAGS)) expect(help.stdout).toContain(`--${flag}`);
    const envRead = new Set(readFileSync('repo-server/config.ts', 'utf8').match(/(?<=env\.)[A-Z_]+/g));
    expect(envRead.size).toBeGreaterThan(10);
    for (const name of envRead) expect(help.stdout).toContain(name);
    for (const value of ['127.0.0.1', '8080', './data', '52428800', '2000000', 'info', '12000', '6000']) expect(help.stdout).toContain(value);
    expect(run('repo-server/main.ts', ['-h'])).toMatchObject({ status: 0, stdout: help.stdout });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('an unknown option, a stray argument or a malformed value exits 2 with the usage, and nothing starts', () => {
    for (const [args, env, message] of [
      [['--prot', '9000'], {}, "Unknown option '--prot'"],
      [['serve'], {}, "Unexpected argument 'serve'"],
      [[], { PORT: 'eighty' }, 'PORT must be a non-negative integer'],
    ] as const) {
      const refused = run('repo-server/main.ts', [...args], env);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).toContain('usage: npm start');
      expect(refused.stdout).toBe('');
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('npm run tokens', () => {
  it('--help prints the commands, every option and where the tokens live, and succeeds', () => {
    const help = run('repo-server/tokens-cli.ts', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run tokens -- create/);
    for (const word of ['create', 'list', 'revoke', '--name', '--global', '--repo', '--help', 'DATA_DIR', 'FS_ETCD', 'FS_CLUSTER_SECRET']) expect(help.stdout).toContain(word);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('an unknown option, an unknown command or a bad role exits 2 with the usage, before storage is opened', () => {
    for (const [args, message] of [
      [['create', '--nmae', 'x', '--global', 'read'], "Unknown option '--nmae'"],
      [['frob'], 'unknown command "frob"'],
      [[], 'no command given'],
      [['list', 'all'], 'unexpected argument "all"'],
      [['create', '--name', 'x', '--global', 'root'], 'role must be read, write or admin'],
    ] as const) {
      const refused = run('repo-server/tokens-cli.ts', [...args]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).toContain('usage: npm run tokens');
    }
    expect(existsSync(dataDir)).toBe(false);
  });
});
