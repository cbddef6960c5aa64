/**
 * What makes a repository exist, for REST and git alike: its metadata file, created exclusively
 * before anything else of the repository (so two concurrent creates get one winner) and removed
 * with everything else by one destroy. A deleted repository leaves a tombstone (410 Gone for REST;
 * for git it is simply not there). Repository names follow one rule (names.ts).
 */
import type { RepoStore } from '../../fs-service/index.js';

export const METADATA_PATH = '/repository.json';
export const TOMBSTONE_PATH = '/deleted.json';

export async function repositoryExists(store: RepoStore): Promise<boolean> {
  const [meta] = await store.readMany([METADATA_PATH]);
  return meta !== null && meta !== undefined;
}
