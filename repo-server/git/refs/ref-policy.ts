/** Per-repository rules for pushes; the router asks `deps.policy` once per push. */
export interface RepoPolicy {
  /** Branch names ("main", "release/*") or full ref names that refuse non-fast-forward updates and deletion. */
  protectedBranches: string[];
}

export const OPEN_POLICY: RepoPolicy = { protectedBranches: [] };

/** "main" protects refs/heads/main; a trailing "*" matches any rest ("release/*"). */
export function isProtected(ref: string, policy: RepoPolicy): boolean {
  return policy.protectedBranches.some((pattern) => {
    const full = pattern.startsWith('refs/') ? pattern : `refs/heads/${pattern}`;
    return full.endsWith('*') ? ref.startsWith(full.slice(0, -1)) : ref === full;
  });
}
