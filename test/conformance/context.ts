import { randomBytes } from 'node:crypto';
import type { Feature } from './case.js';
import { GitSandbox } from './git-client.js';
import { type Exchange, HttpClient, type HttpRequest } from './http-client.js';

export interface Options {
  /** Base URL of the deployment, e.g. http://127.0.0.1:8080 */
  url: string;
  /** A token with admin rights; absent: the deployment is expected to be open. */
  token?: string;
  /** The deployment's request body limit (413 cases stream just past it). */
  maxBodyBytes: number;
  /** The deployment's request-target limit (414 case). */
  maxUriBytes: number;
  /** Prefix of the scratch repository's random name. */
  repoPrefix: string;
}

export const DEFAULT_OPTIONS: Omit<Options, 'url'> = {
  maxBodyBytes: 50 * 1024 * 1024,
  maxUriBytes: 8 * 1024,
  repoPrefix: 'conformance-',
};

/** Values one case learns and a later one needs (ids the server chose). */
export interface State {
  /** A token with only the read role, made through /admin/tokens (auth cases), revoked at the end. */
  reader?: { id: string; token: string };
}

/** Everything cases share: the client, the scratch repository's name, features, git. */
export class Context {
  readonly http: HttpClient;
  readonly repo: string;
  readonly features = new Map<Feature, boolean>();
  readonly state: State = {};
  private sandbox: GitSandbox | undefined;
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(readonly options: Options) {
    this.http = new HttpClient(options.url);
    // Random, so runs against a shared deployment never collide or reuse an old repository.
    this.repo = `${options.repoPrefix}${randomBytes(5).toString('hex')}`;
  }

  get hasToken(): boolean {
    return this.options.token !== undefined && this.options.token !== '';
  }

  /** `/repos/<scratch><suffix>` */
  repoPath(suffix = ''): string {
    return `/repos/${this.repo}${suffix}`;
  }

  /** `/<scratch>.git<suffix>`, the git smart HTTP base. */
  gitPath(suffix = ''): string {
    return `/${this.repo}.git${suffix}`;
  }

  authHeaders(): Record<string, string> {
    return this.hasToken ? { Authorization: `Bearer ${this.options.token}` } : {};
  }

  /** A set-up or verification request (not judged), with the token when there is one. */
  send(req: HttpRequest, anonymous = false): Promise<Exchange> {
    return this.http.request(anonymous ? req : { ...req, headers: { ...this.authHeaders(), ...req.headers } });
  }

  /**
   * A set-up shared by several cases (a file to negotiate on...), made once. A failed set-up
   * fails every case that asks for it, with the same reason.
   */
  memo<T>(key: string, make: () => Promise<T>): Promise<T> {
    let found = this.memos.get(key) as Promise<T> | undefined;
    if (found === undefined) {
      found = make();
      this.memos.set(key, found);
    }
    return found;
  }

  git(): GitSandbox {
    this.sandbox ??= new GitSandbox(this.options.token);
    return this.sandbox;
  }

  close(): void {
    this.http.close();
    this.sandbox?.cleanup();
  }
}
