/** Roles, weakest first: each includes what the ones before it allow. */
export const ROLES = ['read', 'write', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function atLeast(held: Role | undefined, needed: Role): boolean {
  return held !== undefined && ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** A token's grants: a global role and/or roles per repository. */
export interface Grants {
  global?: Role;
  repos?: Record<string, Role>;
}

/** The strongest role the grants give on a repository (global or repository-specific). */
export function roleOn(grants: Grants, repo: string | undefined): Role | undefined {
  const candidates = [grants.global, repo === undefined ? undefined : grants.repos?.[repo]].filter((r): r is Role => r !== undefined);
  return candidates.sort((a, b) => ROLES.indexOf(b) - ROLES.indexOf(a))[0];
}

/** Grants as stored, with anything that is not a role dropped (a record edited by hand cannot grant more). */
export function sanitizeGrants(grants: Grants): Grants {
  const out: Grants = {};
  if (isRole(grants.global)) out.global = grants.global;
  if (grants.repos !== undefined) out.repos = Object.fromEntries(Object.entries(grants.repos).filter(([, r]) => isRole(r)));
  return out;
}
