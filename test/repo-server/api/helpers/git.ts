import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real git client in a sandbox: its own HOME and config, no credential helper, and
 * GIT_TERMINAL_PROMPT=0 so that a 401 makes git fail at once instead of waiting for a password.
 */
export class GitSandbox {
  readonly root = mkdtempSync(join(tmpdir(), 'rest-auth-git-'));
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    const home = join(this.root, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Tester\n\temail = tester@example.test\n[init]\n\tdefaultBranch = main\n');
    this.env = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', LANG: 'C', LC_ALL: 'C' };
  }

  path(name: string): string {
    return join(this.root, name);
  }

  run(args: string[], cwd = this.root, timeoutMs = 30_000): Promise<GitRun> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  async ok(args: string[], cwd = this.root): Promise<string> {
    const r = await this.run(args, cwd);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** `http://x:<token>@127.0.0.1:port/<repo>.git`: git sends the token as the Basic password. */
export function gitUrl(base: string, repo: string, token?: string): string {
  const url = new URL(`${base}/${repo}.git`);
  if (token !== undefined) {
    url.username = 'x';
    url.password = token;
  }
  return url.toString();
}
