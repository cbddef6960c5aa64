/** The operator's launcher CLI: --help, an unknown option and an unknown command each say how to use it. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'nginx/cluster-cli.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run cluster', () => {
  it('--help prints the commands and options and succeeds', () => {
    const run = cli('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run cluster -- start\|stop\|status\|restart\|deployment/);
    for (const option of ['--frontends', '--shards', '--copies', '--etcd-members', '--supervisors', '--port', '--dir', '--role']) expect(run.stdout).toContain(option);
  });

  it('an unknown option is refused with the usage and exit code 2, before anything starts', () => {
    const run = cli('start', '--frontend', '3');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--frontend'");
    expect(run.stderr).toContain('usage: npm run cluster');
  });

  it('an unknown or missing command is refused with the usage', () => {
    expect(cli('frob')).toMatchObject({ status: 1, stderr: expect.stringContaining('unknown command "frob"') });
    expect(cli()).toMatchObject({ status: 1, stderr: expect.stringContaining('usage: npm run cluster') });
  });
});
