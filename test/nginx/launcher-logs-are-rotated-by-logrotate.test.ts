/**
 * The launcher's log files are rotated by Debian's logrotate (`npm run cluster -- rotate-logs`,
 * nginx/log-rotation.ts): a log over the size is copied aside and emptied in place, and the
 * process writing it (started as the launcher starts every process) keeps writing to the same
 * file from its start, with no hole and no signal.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logrotateConfigOf, renderLogrotateConfig, rotateLogs } from '../../nginx/log-rotation.js';
import { isAlive, startDetached } from '../../nginx/processes.js';
import { ensureLogrotate } from '../../nginx/ensure-tool.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('npm run cluster -- rotate-logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-rotation-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates a log over the size while its process keeps writing to it', async () => {
    ensureLogrotate(() => {});
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'nginx-n1', 'logs'), { recursive: true });
    writeFileSync(logrotateConfigOf(dir), renderLogrotateConfig(dir, { maxBytes: 4096 }));
    const log = join(dir, 'logs', 'writer.log');
    // 600 lines, 10 ms apart (6 s at least): it is still writing when the rotation comes.
    const writer = startDetached('writer', ['/bin/sh', '-c', 'i=0; while [ $i -lt 600 ]; do echo "line $i of a process that writes its log"; i=$((i+1)); sleep 0.01; done'], log, process.env);
    writeFileSync(join(dir, 'nginx-n1', 'logs', 'access.log'), 'x'.repeat(10_000));
    writeFileSync(join(dir, 'logs', 'small.log'), 'under the size\n');
    const deadline = Date.now() + 10_000;
    while (statSync(log).size < 5_000 && Date.now() < deadline) await sleep(20);
    expect(statSync(log).size).toBeGreaterThanOrEqual(5_000);

    rotateLogs(dir);

    expect(existsSync(`${log}.1`)).toBe(true);
    expect(readFileSync(`${log}.1`, 'utf8')).toMatch(/^line 0 of a process/);
    expect(existsSync(join(dir, 'nginx-n1', 'logs', 'access.log.1'))).toBe(true);
    expect(statSync(join(dir, 'nginx-n1', 'logs', 'access.log')).size).toBe(0);
    expect(existsSync(join(dir, 'logs', 'small.log.1'))).toBe(false);

    expect(isAlive(writer.pid), 'the writer was still writing at the rotation').toBe(true);
    while (isAlive(writer.pid) && Date.now() < deadline + 30_000) await sleep(50);
    // The writer went on in the emptied file, from its start: every line whole, none lost but at the cut.
    const after = readFileSync(log, 'utf8');
    expect(after.length).toBeGreaterThan(0);
    expect(after.split('\n').filter((l) => l !== '').every((l) => /^line \d+ of a process that writes its log$/.test(l))).toBe(true);
    expect(after).toContain('line 599 of a process');
    const total = `${readFileSync(`${log}.1`, 'utf8')}${after}`.split('\n').filter((l) => l !== '').length;
    expect(total).toBeGreaterThanOrEqual(598);
  }, 60_000);
});
