/**
 * Deviations the conformance client found and reported to the team (docs/conformance.md lists
 * them with request, expected and actual). The tests tolerate exactly these, so any NEW deviation
 * fails them; remove an entry once it is fixed (the tests print the ones that pass again).
 */
export const KNOWN_DEVIATIONS: Readonly<Record<string, string>> = {
  'errors/unknown-route': 'Express answers unknown routes with its own text/html 404, not problem+json',
  'branches/create-only': 'PUT with If-None-Match: * on an existing branch gets 428 (G7a counts only If-Match/If-Unmodified-Since as conditions) instead of 412',
  'commits/wrong-content-type': 'POST /commits ignores Content-Type: text/plain is accepted and committed (201) instead of 415',
};

/** Only behind the cluster's nginx, which refuses oversized bodies itself. */
export const CLUSTER_DEVIATIONS: Readonly<Record<string, string>> = {
  'errors/too-large-announced': 'nginx answers 413 itself (client_max_body_size) with a text/html page, not problem+json',
  'errors/too-large-chunked': 'nginx answers 413 itself (client_max_body_size) with a text/html page, not problem+json',
};
