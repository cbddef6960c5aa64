/** `npm run conformance` explains itself: --help succeeds, an unknown option or a stray argument is refused with the usage before any case runs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'conformance-cli-'));

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/conformance/cli.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run conformance', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help and -h print every option with its default and succeed', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run conformance -- --url/);
    for (const option of ['--url', '--token', '--report', '--html', '--max-body-bytes', '--max-uri-bytes', '--only', '--list', '--help', 'CONFORMANCE_TOKEN', '52428800', '8192']) expect(help.stdout).toContain(option);
    expect(cli('-h')).toMatchObject({ status: 0, stdout: help.stdout });
  });

  it('an unknown option or a stray argument exits 2 with the usage: no case runs, no report is written', () => {
    const report = join(dir, 'report.json');
    for (const [args, message] of [
      [['--url', 'http://127.0.0.1:1', '--report', report, '--tokn', 'x'], "Unknown option '--tokn'"],
      [['--url', 'http://127.0.0.1:1', '--report', report, 'run'], "Unexpected argument 'run'"],
    ] as const) {
      const refused = cli(...args);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).toContain('usage: npm run conformance');
      expect(refused.stdout).toBe('');
    }
    expect(existsSync(report)).toBe(false);
  });
});
