export { gitHttpRouter } from './router.js';
export { gitRoutePattern } from './repo-name.js';
export type { GitHttpDeps, AuthorizeHook, AuthDecision, AccessRequest, GitService, GitHttpObserver, PackDirection } from './types.js';
export type { GitHttpLogger } from './logger.js';
export type { RepoPolicy } from '../git/index.js';
