/** The one rule for repository names, for every door (REST, git, storage): one harmless folder name. */
export type NameCheck = { ok: true; value: string } | { ok: false; detail: string };

const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function validateRepoName(name: string): NameCheck {
  if (!REPO_NAME.test(name)) return { ok: false, detail: 'repository names are 1 to 100 letters, digits, ".", "_" or "-"' };
  if (name.toLowerCase().endsWith('.git')) return { ok: false, detail: 'repository names must not end in ".git"' };
  // "." and ".." would be path tricks in any storage backend that maps names to folders.
  if (name === '.' || name === '..') return { ok: false, detail: 'repository name "." or ".." is reserved' };
  return { ok: true, value: name };
}

export function isValidRepoName(name: string): boolean {
  return validateRepoName(name).ok;
}
