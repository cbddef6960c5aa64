export type GitPath =
  | { kind: 'info-refs'; repo: string }
  | { kind: 'rpc'; repo: string; service: 'git-upload-pack' | 'git-receive-pack' }
  | { kind: 'dumb'; repo: string }
  | { kind: 'unknown'; repo: string };

const DUMB = /^\/(HEAD|objects\/.*|info\/packs|info\/alternates|info\/http-alternates)$/;

/** Splits "/<repo>.git/<rest>"; null when the path is not under a ".git" folder at all. */
export function parseGitPath(path: string): GitPath | null {
  const m = /^\/([^/]+)\.git(\/.*)?$/.exec(path);
  if (m === null) return null;
  const repo = m[1] as string;
  const rest = m[2] ?? '/';
  if (rest === '/info/refs') return { kind: 'info-refs', repo };
  if (rest === '/git-upload-pack' || rest === '/git-receive-pack') return { kind: 'rpc', repo, service: rest.slice(1) as 'git-upload-pack' | 'git-receive-pack' };
  if (DUMB.test(rest)) return { kind: 'dumb', repo };
  return { kind: 'unknown', repo };
}

/** The metrics label of a git path: its endpoint with the repository as a parameter. */
export function gitRoutePattern(path: string): string | undefined {
  const parsed = parseGitPath(path);
  if (parsed === null) return undefined;
  if (parsed.kind === 'info-refs') return '/:repo.git/info/refs';
  if (parsed.kind === 'rpc') return `/:repo.git/${parsed.service}`;
  if (parsed.kind === 'dumb') return '/:repo.git/(dumb protocol)';
  return undefined;
}
