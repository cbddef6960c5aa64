import type { Authorizer } from '../auth/authorizer.js';
import type { RepoService } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { SettingsStore } from '../settings/repo-settings.js';

/** What every API resource needs besides the request. */
export interface ApiContext {
  service: RepoService;
  logger: Logger;
  settings: SettingsStore;
  /** Absent: access control is off (tests of other parts). */
  auth?: Authorizer;
}
