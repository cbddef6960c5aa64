import type { RepoService } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';

/** What every API resource needs besides the request: the domain service and a logger. */
export interface ApiContext {
  service: RepoService;
  logger: Logger;
}

/** Who is acting; authentication replaces this with the token's account. */
export function actorOf(_headers: unknown): string {
  return 'anonymous';
}
