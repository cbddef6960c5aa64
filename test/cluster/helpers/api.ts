/** The few REST calls the cluster tests make, against any base URL (nginx or one front end). */
import { exchange, type Outcome, type RequestOptions } from './load.js';

export interface Api {
  base: string;
  auth: Record<string, string>;
  /** See RequestOptions.retryDeadConnection. */
  retryDeadConnection?: boolean;
}

export async function createRepo(api: Api, name: string): Promise<void> {
  const res = await exchange('PUT', `${api.base}/repos/${name}`, { headers: { ...api.auth, 'content-type': 'application/json' }, body: '{}' });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.error ?? ''} ${res.text}`);
}

export function putFile(api: Api, repo: string, path: string, content: string, branch?: string): Promise<Outcome> {
  const qs = new URLSearchParams({ message: `write ${path}`, ...(branch === undefined ? {} : { branch }) }).toString();
  return exchange('PUT', `${api.base}/repos/${repo}/contents/${path}?${qs}`, {
    headers: { ...api.auth, 'content-type': 'application/octet-stream' },
    body: content,
    ...retrying(api),
  });
}

const retrying = (api: Api): RequestOptions => (api.retryDeadConnection === true ? { retryDeadConnection: true } : {});

/** PUT that must succeed (setting up fixtures). */
export async function mustPut(api: Api, repo: string, path: string, content: string): Promise<{ id: string; commit: string }> {
  const res = await putFile(api, repo, path, content);
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT ${path}: ${res.status} ${res.error ?? ''} ${res.text}`);
  return JSON.parse(res.text) as { id: string; commit: string };
}

export function getPath(api: Api, repo: string, path: string, ref?: string): Promise<Outcome> {
  return exchange('GET', `${api.base}/repos/${repo}/contents/${path}${ref === undefined ? '' : `?ref=${encodeURIComponent(ref)}`}`, { headers: api.auth, ...retrying(api) });
}

/** A branch made from another through the API. */
export async function createBranch(api: Api, repo: string, name: string, from = 'main'): Promise<void> {
  const res = await exchange('PUT', `${api.base}/repos/${repo}/branches/${name}`, { headers: { ...api.auth, 'content-type': 'application/json' }, body: JSON.stringify({ from }) });
  if (res.status !== 201) throw new Error(`create branch ${name}: ${res.status} ${res.text}`);
}

export async function branchHead(api: Api, repo: string, branch = 'main'): Promise<string> {
  const res = await exchange('GET', `${api.base}/repos/${repo}/branches/${branch}`, { headers: api.auth });
  if (res.status !== 200) throw new Error(`branch ${branch}: ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { commit: string }).commit;
}

/** The commit id a successful PUT contents answered. */
export function commitOf(res: Outcome): string {
  return (JSON.parse(res.text) as { commit: string }).commit;
}
