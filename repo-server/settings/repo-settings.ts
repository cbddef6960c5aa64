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
    protectedBranches: z.array(z.string().min(1).max(255)).max(100).default([]),
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
    const [raw] = await this.storage.repo(repo).readMany([SETTINGS_PATH]);
    if (raw === null || raw === undefined) return defaultSettings;
    const parsed = repoSettingsSchema.safeParse(JSON.parse(raw.toString('utf8')));
    return parsed.success ? parsed.data : defaultSettings;
  }

  async write(repo: string, settings: RepoSettings): Promise<void> {
    await this.storage.repo(repo).fs.promises.writeFile(SETTINGS_PATH, `${JSON.stringify(settings, null, 2)}\n`);
  }

  isProtected(settings: RepoSettings, branch: string): boolean {
    return settings.protectedBranches.includes(branch);
  }
}
