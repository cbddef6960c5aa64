import { type Halt, halt } from '../../webmachine/index.js';
import { isProblemName, PROBLEM_TYPES, problemType } from './problem-types.js';

/** Any `{ok: false, reason, ...}` value of the domain layer. */
export interface DomainFailure {
  ok: false;
  reason: string;
  [key: string]: unknown;
}

/**
 * The one mapping from domain reasons to HTTP: invalid -> 400, not-found -> 404 (410 for a deleted
 * repository), stale -> 412, too-large -> 413, busy and unavailable (storage) -> 503, everything that conflicts with current state -> 409.
 */
export function failureHalt(failure: DomainFailure): Halt {
  const { ok: _ok, reason, ...details } = failure;
  // A reason the catalogue does not name is a conflict; the reason itself stays in the body.
  const name = isProblemName(reason) ? reason : 'conflict';
  const type = problemType(name);
  switch (reason) {
    case 'invalid':
      return halt(400, { type, title: 'Invalid request', detail: String(details.detail ?? 'invalid input'), ...details });
    case 'not-found': {
      const what = String(details.what ?? 'resource');
      const name = String(details.name ?? '');
      if (details.gone === true) return halt(410, { type: problemType('gone'), title: 'Gone', detail: `The ${what} ${name} was deleted.`, ...details });
      return halt(404, { type, title: 'Not found', detail: `No ${what} named ${JSON.stringify(name)}.`, ...details });
    }
    case 'stale':
      return halt(412, { type, title: 'Stale', detail: 'The target changed since you read it; reload and retry.', ...details });
    case 'unavailable':
      return halt(503, { type, title: 'Storage unavailable', detail: String(details.detail ?? 'storage refused the request for now'), ...details }, { 'Retry-After': String(details.retryAfter ?? 1) });
    case 'busy':
      return halt(503, { type, title: 'Busy', detail: 'The branch kept moving under concurrent writers; nothing was written. Retry.', ...details }, { 'Retry-After': '1' });
    case 'too-large':
      return halt(413, { type, title: 'Content too large', detail: String(details.detail ?? 'the content is too large'), ...details });
    case 'precondition-failed':
      return halt(412, { type, title: 'Precondition failed', detail: String(details.detail ?? 'a precondition failed'), ...details });
    default:
      return halt(409, { type, title: PROBLEM_TYPES[name].title, detail: String(details.detail ?? conflictDetail(reason)), ...(name !== reason ? { reason } : {}), ...details });
  }
}

function conflictDetail(reason: string): string {
  switch (reason) {
    case 'not-fast-forward':
      return 'The new commit does not descend from the current head; send {"force": true} to move anyway.';
    case 'exists':
      return 'It already exists.';
    case 'default-branch':
      return 'The default branch cannot be deleted; choose another default branch first.';
    default:
      return `The request conflicts with the current state (${reason}).`;
  }
}
