import { isProtected as isProtectedRef, isValidRepoName, isValidShortRefName } from '../git/index.js';
import { z } from 'zod';
import type { Storage } from '../../fs-service/index.js';

/**
 * Per-repository policy, stored beside the git data in /settings.json (git ignores it):
 * anonymous read (off by default: the service is private unless said otherwise) and protected
 * branches (no force push, no deletion; optionally fast-forward only for REST writes too).
 */
export const repoSettingsSchema = z
  .object({
    anonymousRead: z.boolean().default(false),
    // A branch name, or a family of them ("release/*").
    protectedBranches: z
      .array(z.string().min(1).max(255).refine((p) => isValidShortRefName(p.endsWith('/*') ? `${p.slice(0, -2)}/x` : p), { message: 'not a branch name or "prefix/*" pattern' }))
      .max(100)
      .default([]),
    /** REST branch moves must be fast-forwards on protected branches, even with {force: true}. */
    requireFastForward: z.boolean().default(true),
  })
  .strict();

export type RepoSettings = z.infer<typeof repoSettingsSchema>;

export const SETTINGS_PATH = '/settings.json';
export const defaultSettings: RepoSettings = { anonymousRead: false, protectedBranches: [], requireFastForward: true };

export class SettingsStore {
  constructor(private readonly storage: Storage) {}

  /** Never cached: a change made through one front end holds on all of them at once. */
  async read(repo: string): Promise<RepoSettings> {
    // An impossible name has no settings (and storage would refuse to address it).
    if (!isValidRepoName(repo)) return defaultSettings;
    const [raw] = await this.storage.repo(repo).readMany([SETTINGS_PATH]);
    if (raw === null || raw === undefined) return defaultSettings;
    const parsed = repoSettingsSchema.safeParse(JSON.parse(raw.toString('utf8')));
    return parsed.success ? parsed.data : defaultSettings;
  }

  async write(repo: string, settings: RepoSettings): Promise<void> {
    await this.storage.repo(repo).fs.promises.writeFile(SETTINGS_PATH, `${JSON.stringify(settings, null, 2)}\n`);
  }

  /** The same rule git pushes obey ("main", "release/*", or full ref names). */
  isProtected(settings: RepoSettings, branch: string): boolean {
    return isProtectedRef(`refs/heads/${branch}`, settings);
  }
}
