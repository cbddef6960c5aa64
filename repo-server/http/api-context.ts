import type { Authorizer } from '../auth/authorizer.js';
import type { RepoService } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { SettingsStore } from '../settings/repo-settings.js';
import type { Webhooks } from '../webhooks/index.js';

/** What every API resource needs besides the request. */
export interface ApiContext {
  service: RepoService;
  logger: Logger;
  settings: SettingsStore;
  /** Absent: access control is off (tests of other parts). */
  auth?: Authorizer;
  /** Hook registrations and delivery logs; absent: the webhook routes answer 503. */
  webhooks?: Webhooks;
}
