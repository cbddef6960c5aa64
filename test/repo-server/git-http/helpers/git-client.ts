import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Kills (by pid) every process a test started that is still running. */
export function killSpawned(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

/**
 * The end of every git-http suite: git clients still running killed first (a hung client must
 * not keep the server open), then the server, the sandbox and the storage.
 */
export async function tearDown(world: { server?: { close(): Promise<unknown> }; sb?: { cleanup(): void }; dispose?: () => Promise<void> } | undefined): Promise<void> {
  killSpawned();
  await world?.server?.close();
  world?.sb?.cleanup();
  await world?.dispose?.();
}

/** A sandbox for the real git client: temp HOME, no system config, identity set. */
export class GitSandbox {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(prefix = 'git-http-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    const home = join(this.root, 'home');
    this.env = {
      PATH: process.env.PATH,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Test Author',
      GIT_AUTHOR_EMAIL: 'author@example.test',
      GIT_COMMITTER_NAME: 'Test Committer',
      GIT_COMMITTER_EMAIL: 'committer@example.test',
      LANG: 'C',
      LC_ALL: 'C',
    };
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Test Author\n\temail = author@example.test\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Runs git with a bounded time; resolves with the exit code instead of throwing. */
  git(args: string[], opts: { cwd?: string; input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<GitResult> {
    return run('git', args, { cwd: opts.cwd ?? this.root, env: { ...this.env, ...opts.env }, input: opts.input, timeoutMs: opts.timeoutMs ?? 90_000 });
  }

  /** Like git() but throws with the output when git fails. */
  async ok(args: string[], opts: { cwd?: string; input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    const r = await this.git(args, opts);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; input?: Buffer | string | undefined; timeoutMs: number },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => errOut.push(c));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const bytes = Buffer.concat(out);
      resolve({ code: code ?? (signal === null ? -1 : 128), stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(errOut).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
