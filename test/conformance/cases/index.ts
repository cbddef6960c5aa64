import type { CaseSpec } from '../case.js';
import { archiveCases } from './archives.js';
import { authCases, authCleanupCases } from './auth.js';
import { branchCases } from './branches.js';
import { commitCases } from './commits.js';
import { compareCases } from './compare.js';
import { contentCases } from './contents.js';
import { errorCases } from './errors.js';
import { gitCases, gitCleanupCases } from './git.js';
import { mergeCases } from './merges.js';
import { negotiationCases } from './negotiation.js';
import { preconditionCases } from './preconditions.js';
import { repositoryCases, repositoryCleanupCases } from './repositories.js';
import { tagCases } from './tags.js';

export interface Group {
  name: string;
  cases: readonly CaseSpec[];
}

/**
 * In running order. The first group's first case creates the scratch repository; the clean-up
 * group runs last, whatever happened before.
 */
export const allGroups: readonly Group[] = [
  { name: 'repositories', cases: repositoryCases },
  { name: 'errors', cases: errorCases },
  { name: 'negotiation', cases: negotiationCases },
  { name: 'contents', cases: contentCases },
  { name: 'preconditions', cases: preconditionCases },
  { name: 'branches', cases: branchCases },
  { name: 'commits', cases: commitCases },
  { name: 'tags', cases: tagCases },
  { name: 'compare', cases: compareCases },
  { name: 'merges', cases: mergeCases },
  { name: 'archives', cases: archiveCases },
  { name: 'git', cases: gitCases },
  { name: 'auth', cases: authCases },
];

export const cleanupGroup: Group = { name: 'cleanup', cases: [...authCleanupCases, ...repositoryCleanupCases, ...gitCleanupCases] };

/** Every case, for listings and for checking declared paths against the diagram. */
export function everyCase(): CaseSpec[] {
  return [...allGroups, cleanupGroup].flatMap((g) => g.cases);
}
