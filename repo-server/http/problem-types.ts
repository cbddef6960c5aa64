/**
 * The one catalogue of problem types (RFC 9457 `type`). Every problem the service answers names
 * one of these as `/problems/<name>`, a page the service itself serves (resources/problems.ts),
 * so a client that dereferences a type finds what it means and whether to retry. The reference is
 * relative: it resolves against the URL that answered, whichever host or proxy that is.
 */
export interface ProblemType {
  /** The status it is answered with. */
  status: number;
  title: string;
  /** When it is answered. */
  means: string;
  /** What the client should do: whether to retry, and how. */
  action: string;
}

export const PROBLEM_TYPES = {
  invalid: { status: 400, title: 'Invalid request', means: 'A name, path, parameter, header or body is malformed or out of range. `detail` says which; a body that fails its schema lists each issue in `errors`.', action: 'Do not retry unchanged: fix the request.' },
  unauthenticated: { status: 401, title: 'Authentication required', means: 'No credential was sent where one is needed, or the one sent is unknown, revoked or expired. `WWW-Authenticate` names the scheme.', action: 'Send a valid token (Bearer for the API, Basic with the token as password for git), or sign in again.' },
  forbidden: { status: 403, title: 'Forbidden', means: 'The credential is valid but its role is too low for this (read < write < admin).', action: 'Do not retry with the same credential; ask an admin for the role.' },
  'not-found': { status: 404, title: 'Not found', means: 'Nothing is at this path: no such repository (or one you may not see), branch, tag, commit, file or route. `what` and `name` say which, where known.', action: 'Do not retry unchanged.' },
  'method-not-allowed': { status: 405, title: 'Method not allowed', means: 'The resource exists but does not support this method. `Allow` lists those it does.', action: 'Use a method from `Allow`.' },
  'not-acceptable': { status: 406, title: 'Not acceptable', means: 'No representation matches `Accept`, `Accept-Charset` or `Accept-Encoding`. `available` lists what is offered.', action: 'Ask for an offered media type.' },
  conflict: { status: 409, title: 'Conflict', means: 'The request conflicts with the current state: a merge with conflicting paths (`conflicts`), a commit whose `parent` is no longer the head, a tag that already names another commit, a folder written as a file.', action: 'Read the current state, reconcile, and send a new request.' },
  exists: { status: 409, title: 'Already exists', means: 'A branch of that name already exists (`current` names its commit).', action: 'Choose another name, or move the existing branch with If-Match.' },
  'not-fast-forward': { status: 409, title: 'Not a fast-forward', means: 'The new commit does not descend from the branch head (`current`).', action: 'Merge first, or send `{"force": true}` where the branch is not protected.' },
  'default-branch': { status: 409, title: 'Default branch', means: 'The default branch of a repository cannot be deleted.', action: 'Make another branch the default first.' },
  'protected-branch': { status: 409, title: 'Protected branch', means: 'The branch is protected by the repository settings and cannot be deleted.', action: 'An admin changes `protectedBranches` first.' },
  'ref-name-conflict': { status: 409, title: 'Ref name conflict', means: 'A branch or tag cannot be the folder of another (`drafts` beside `drafts/ch1`). `ref` is what was asked, `conflictsWith` the existing ref.', action: 'Choose another name.' },
  'invalid-change': { status: 409, title: 'Invalid change', means: 'A change of a commit cannot be applied to the tree as it is (a path below a file, a delete of a missing file). `path` names it.', action: 'Correct the change against the current tree.' },
  gone: { status: 410, title: 'Gone', means: 'The repository was deleted; the name answers 410 until it is created again.', action: 'Do not retry.' },
  'precondition-failed': { status: 412, title: 'Precondition failed', means: '`If-Match` or `If-None-Match` did not hold: the target changed since it was read, or exists where `If-None-Match: *` was sent.', action: 'Read it again (new ETag), reapply your change, and send it with the new validator.' },
  stale: { status: 412, title: 'Stale', means: 'The target moved between the read your request was based on and the write (`current` names what is there now).', action: 'Reload, reapply your change, and retry with the new validator.' },
  'too-large': { status: 413, title: 'Content too large', means: 'The body is over the configured limit, or a file over the largest object the service stores (`bytes`, `limit`).', action: 'Do not retry unchanged: send less.' },
  'uri-too-long': { status: 414, title: 'URI too long', means: 'The request-target is over 8 KiB.', action: 'Send a shorter request-target (a long list in a body instead).' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', means: 'The body\'s `Content-Type` is not one the resource accepts (`accepted` lists them).', action: 'Send the body as one of those types.' },
  'range-not-satisfiable': { status: 416, title: 'Range not satisfiable', means: 'The `Range` asked for lies outside the file. `Content-Range: bytes */<size>` gives its size.', action: 'Ask for a range within the size.' },
  'precondition-required': { status: 428, title: 'Precondition required', means: 'This change must be conditional (moving or deleting a branch, committing a resolved merge): `If-Match` is missing.', action: 'Read the resource, then send the change with `If-Match: <its ETag>`.' },
  'rate-limited': { status: 429, title: 'Too many requests', means: 'The per-token or per-address limit is spent (`RateLimit` and `RateLimit-Policy` describe it), or too many sign-ins failed for one user name.', action: 'Retry after `Retry-After` seconds.' },
  internal: { status: 500, title: 'Internal error', means: 'The service failed; `detail` names the request id its logs carry. Whether a write landed is unknown.', action: 'Read the state before retrying a write; report the request id.' },
  'not-implemented': { status: 501, title: 'Not implemented', means: 'The method is not one the service knows.', action: 'Do not retry.' },
  unavailable: { status: 503, title: 'Service unavailable', means: 'A part the request needs is not available (storage not ready, or a feature switched off on this deployment).', action: 'Retry later; `Retry-After` says when, where given.' },
  busy: { status: 503, title: 'Busy', means: 'A write kept losing the compare-and-swap of its branch to writers on other front ends for 8 s; nothing was written (`attempts`).', action: 'Send it again after `Retry-After` (1 s).' },
  'unsafe-webhook-url': { status: 400, title: 'Webhook URL refused', means: 'A webhook URL is not http(s), or its host is (or resolves to) a loopback, private, link-local or other internal address, which the operator has not allowed.', action: 'Use a public http(s) URL, or ask the operator to allow the host (WEBHOOK_ALLOW_HOSTS).' },
} as const satisfies Record<string, ProblemType>;

export type ProblemName = keyof typeof PROBLEM_TYPES;

export const PROBLEM_PATH = '/problems/';

/** The `type` of a named problem. */
export function problemType(name: ProblemName): string {
  return `${PROBLEM_PATH}${name}`;
}

const BY_STATUS: Record<number, ProblemName> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  410: 'gone',
  412: 'precondition-failed',
  413: 'too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  416: 'range-not-satisfiable',
  428: 'precondition-required',
  429: 'rate-limited',
  500: 'internal',
  501: 'not-implemented',
  503: 'unavailable',
};

/** The type of a problem that names none, by its status (the engine's EngineOptions.problemType). */
export function problemTypeForStatus(status: number): string {
  return problemType(BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid'));
}

export function isProblemName(name: string): name is ProblemName {
  return Object.hasOwn(PROBLEM_TYPES, name);
}
