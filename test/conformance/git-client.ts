import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  cwd?: string;
  /** `-c protocol.version=N`: 2 for fetches by default in git 2.39, 0 the original protocol. */
  protocol?: 0 | 2;
  /** Leave the credentials out (the 401 cases). */
  anonymous?: boolean;
  timeoutMs?: number;
  /** Extra environment (GIT_TRACE_PACKET to see which protocol was spoken). */
  env?: Record<string, string>;
}

/**
 * The real `git` in a sandbox: a temporary HOME, no system or global configuration, no prompts,
 * a fixed identity. The token travels as HTTP Basic (password = token) through GIT_CONFIG_*
 * variables, so it never shows in a process listing.
 */
export class GitSandbox {
  readonly root: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly authEnv: NodeJS.ProcessEnv;

  constructor(token?: string) {
    this.root = mkdtempSync(join(tmpdir(), 'conformance-git-'));
    const home = join(this.root, 'home');
    mkdirSync(home);
    this.env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '',
      GIT_AUTHOR_NAME: 'Conformance',
      GIT_AUTHOR_EMAIL: 'conformance@example.invalid',
      GIT_COMMITTER_NAME: 'Conformance',
      GIT_COMMITTER_EMAIL: 'conformance@example.invalid',
      LANG: 'C',
      LC_ALL: 'C',
    };
    const basic = token === undefined || token === '' ? undefined : Buffer.from(`conformance:${token}`).toString('base64');
    this.authEnv =
      basic === undefined
        ? {}
        : { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  run(args: string[], opts: GitOptions = {}): Promise<GitResult> {
    const full = [...(opts.protocol === undefined ? [] : ['-c', `protocol.version=${opts.protocol}`]), '-c', 'init.defaultBranch=main', ...args];
    const env = { ...this.env, ...(opts.anonymous === true ? {} : this.authEnv), ...opts.env };
    return new Promise((resolve) => {
      const child = spawn('git', full, { cwd: opts.cwd ?? this.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, opts.timeoutMs ?? 60_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ code: -1, stdout: '', stderr: `cannot run git: ${e.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  }

  /** Like run() but throws with git's output when it fails (set-up steps). */
  async ok(args: string[], opts: GitOptions = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
