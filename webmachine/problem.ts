import statuses from 'statuses';

/** RFC 9457 problem details: the one shape every error response of the service has. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export interface ProblemInit {
  detail?: string;
  type?: string;
  title?: string;
  [extension: string]: unknown;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

function reasonPhrase(status: number): string {
  return statuses.message[status] ?? 'Error';
}

/**
 * The single factory for error values. `type` defaults to about:blank, in which case RFC 9457
 * says the title must be the status's reason phrase.
 */
export function problem(status: number, init: ProblemInit = {}): Problem {
  const { detail, type, title, ...extensions } = init;
  const out: Problem = {
    ...extensions,
    type: type ?? 'about:blank',
    title: title ?? reasonPhrase(status),
    status,
  };
  if (detail !== undefined) out.detail = detail;
  return out;
}

export function renderProblem(p: Problem): Buffer {
  return Buffer.from(JSON.stringify(p));
}
