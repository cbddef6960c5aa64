import { isValidRepoName, type ObjectStore, OPEN_POLICY, readRefSnapshot, repositoryExists, TooManyBytes, ClientGone } from '../git/index.js';
import express, { type Request, type Response } from 'express';
import { type RepoStore, unavailability } from '../../fs-service/index.js';
import { silentLogger } from './logger.js';
import { pktLine } from './pkt-line.js';
import { readReceivePackRequest } from './receive-pack-request.js';
import { serveReceivePack } from './receive-pack.js';
import { v0Advertisement } from './ref-advertisement.js';
import { parseGitPath } from './repo-name.js';
import { abandonBody, openBody, readBody } from './request-body.js';
import { ResponseSink } from './response-sink.js';
import type { AuthDecision, GitHttpDeps, GitService } from './types.js';
import { parseV0UploadRequest, serveV0UploadPack } from './upload-pack-v0.js';
import { parseV2Request, serveV2UploadPack, v2CapabilityAdvertisement } from './upload-pack-v2.js';

const DEFAULT_MAX_PUSH = 2 * 1024 * 1024 * 1024;
const DEFAULT_MAX_REQUEST = 16 * 1024 * 1024;
const DEFAULT_MAX_PACK_OBJECTS = 2_000_000;
const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;
const DEFAULT_MAX_INFLATED_BYTES = 8 * 1024 * 1024 * 1024;

/** Advertisements and results must never come from a cache (gitprotocol-http). */
function noCache(res: Response): void {
  res.setHeader('Expires', 'Fri, 01 Jan 1980 00:00:00 GMT');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Cache-Control', 'no-cache, max-age=0, must-revalidate');
}

/**
 * git prints text/plain error bodies as "remote: ..." lines, so errors are plain text here. A
 * body not read to its end is dropped after the answer (bounded), so the client reads it.
 */
function fail(res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  noCache(res);
  abandonBody(res.req);
  res.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}

function protocolVersion(req: Request): number {
  const header = req.headers['git-protocol'];
  const text = Array.isArray(header) ? header.join(':') : (header ?? '');
  let version = 0;
  for (const part of text.split(':')) {
    const m = /^version=(\d+)$/.exec(part.trim());
    if (m !== null) version = Math.max(version, Number(m[1]));
  }
  return version;
}

/**
 * The git smart HTTP surface (gitprotocol-http) over the storage contract, never spawning git:
 * GET /<repo>.git/info/refs?service=..., POST /<repo>.git/git-upload-pack and
 * /<repo>.git/git-receive-pack. Dumb-protocol paths are refused with 403. Mount it before any
 * body parser: it reads request bodies itself (gzip, chunked, size caps).
 */
export function gitHttpRouter(deps: GitHttpDeps): express.Router {
  const router = express.Router();
  const logger = deps.logger ?? silentLogger;
  const maxPush = deps.maxPushBytes ?? DEFAULT_MAX_PUSH;
  const maxRequest = deps.maxRequestBytes ?? DEFAULT_MAX_REQUEST;
  const limits = {
    maxObjectBytes: deps.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
    maxInflatedBytes: deps.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES,
    maxObjects: deps.maxPackObjects ?? DEFAULT_MAX_PACK_OBJECTS,
  };
  const observer = deps.observer;

  const authorize = async (req: Request, repo: string, service: GitService): Promise<AuthDecision> =>
    deps.authorize === undefined ? { ok: true, actor: 'anonymous' } : deps.authorize(req, { repo, service, write: service === 'git-receive-pack' });

  /**
   * Common gate: valid name, authorized, existing repository. Authorization comes before the
   * existence check so that a repository the caller may not see answers exactly like a missing one.
   */
  const open = async (req: Request, res: Response, repo: string, service: GitService): Promise<{ store: RepoStore; odb: ObjectStore; actor: string } | null> => {
    if (!isValidRepoName(repo)) {
      fail(res, 404, 'repository not found');
      return null;
    }
    const decision = await authorize(req, repo, service);
    if (!decision.ok) {
      fail(res, decision.status, decision.message, decision.headers);
      return null;
    }
    const odb = deps.objects.get(repo);
    if (!(await repositoryExists(odb.store))) {
      fail(res, 404, 'repository not found');
      return null;
    }
    return { store: odb.store, odb, actor: decision.actor };
  };

  const infoRefs = async (req: Request, res: Response, repo: string): Promise<void> => {
    const service = new URL(req.originalUrl, 'http://localhost').searchParams.get('service');
    if (service === null) {
      fail(res, 403, 'dumb HTTP protocol is not supported; use a git client that speaks smart HTTP');
      return;
    }
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      fail(res, 403, `unsupported service ${service}`);
      return;
    }
    const opened = await open(req, res, repo, service);
    if (opened === null) return;
    noCache(res);
    res.status(200).type(`application/x-${service}-advertisement`);
    const version = service === 'git-upload-pack' ? protocolVersion(req) : 0;
    if (version === 2) {
      res.send(v2CapabilityAdvertisement());
      return;
    }
    const snapshot = await readRefSnapshot(opened.store);
    res.send(await v0Advertisement(service, snapshot, opened.odb, version === 1));
  };

  const uploadPack = async (req: Request, res: Response, repo: string): Promise<void> => {
    const opened = await open(req, res, repo, 'git-upload-pack');
    if (opened === null) return;
    const body = await readBody(req, maxRequest);
    if (!body.ok) {
      fail(res, body.error.status, body.error.message);
      return;
    }
    const v2 = protocolVersion(req) === 2;
    const parsed = v2 ? parseV2Request(body.value) : parseV0UploadRequest(body.value);
    if (!parsed.ok) {
      fail(res, 400, parsed.error);
      return;
    }
    noCache(res);
    res.status(200).type('application/x-git-upload-pack-result');
    const sink = new ResponseSink(res);
    const ctx = { odb: opened.odb, snapshot: await readRefSnapshot(opened.store), logger, observer };
    const served = Array.isArray(parsed.value)
      ? await serveV2UploadPack(ctx, parsed.value, sink)
      : await serveV0UploadPack(ctx, parsed.value, sink);
    if (!served.ok) {
      logger.warn({ repo, error: served.error }, 'upload-pack refused');
      await sink.write(pktLine(`ERR ${served.error}\n`));
    }
    sink.end();
  };

  const receivePack = async (req: Request, res: Response, repo: string): Promise<void> => {
    const opened = await open(req, res, repo, 'git-receive-pack');
    if (opened === null) return;
    const body = openBody(req, maxPush);
    if (!body.ok) {
      fail(res, body.error.status, body.error.message);
      return;
    }
    const reader = body.value;
    try {
      const parsed = await readReceivePackRequest(reader, maxRequest);
      noCache(res);
      // git's probe before a chunked push is a bare flush; it wants a 200 and no body.
      if (parsed.ok && parsed.value.commands.length === 0 && (await reader.atEnd())) {
        res.status(200).type('application/x-git-receive-pack-result').end();
        return;
      }
      if (!parsed.ok) {
        fail(res, 400, parsed.error);
        return;
      }
      const policy = deps.policy === undefined ? OPEN_POLICY : await deps.policy(repo);
      res.status(200).type('application/x-git-receive-pack-result');
      const sink = new ResponseSink(res);
      await serveReceivePack({ store: opened.store, odb: opened.odb, policy, events: deps.events, actor: opened.actor, logger, limits, observer, keepAliveMs: deps.keepAliveMs }, parsed.value, reader, sink);
      sink.end();
    } catch (e) {
      if (e instanceof TooManyBytes && !res.headersSent) {
        logger.warn({ repo, limit: maxPush }, 'receive-pack refused a push over the limit');
        fail(res, 413, `push refused: it is larger than the limit of ${maxPush} bytes per push (MAX_PUSH_BYTES)`);
        return;
      }
      if (e instanceof ClientGone) {
        // The client went away mid-push: an expected condition, and nothing of it was kept.
        logger.info({ repo, error: e instanceof Error ? e.message : String(e) }, 'receive-pack abandoned by the client');
        res.destroy();
        return;
      }
      throw e;
    }
  };

  router.use(async (req: Request, res: Response, next: (err?: unknown) => void) => {
    const path = parseGitPath(req.path);
    if (path === null) {
      next();
      return;
    }
    const started = Date.now();
    try {
      if (path.kind === 'dumb') {
        fail(res, 403, 'dumb HTTP protocol is not supported; use a git client that speaks smart HTTP');
      } else if (path.kind === 'unknown') {
        fail(res, 404, 'not found');
      } else if (path.kind === 'info-refs') {
        if (req.method !== 'GET' && req.method !== 'HEAD') fail(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
        else await infoRefs(req, res, path.repo);
      } else if (req.method !== 'POST') {
        fail(res, 405, 'method not allowed', { Allow: 'POST' });
      } else if (req.headers['content-type']?.split(';')[0]?.trim() !== `application/x-${path.service}-request`) {
        fail(res, 415, `expected Content-Type application/x-${path.service}-request`);
      } else if (path.service === 'git-upload-pack') {
        await uploadPack(req, res, path.repo);
      } else {
        await receivePack(req, res, path.repo);
      }
      logger.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Date.now() - started }, 'git http request');
    } catch (e) {
      // Storage refusing for now: git shows a text/plain body as "remote: ..." lines.
      const unavailable = unavailability(e);
      if (unavailable !== null) logger.warn({ method: req.method, path: req.path, cause: unavailable.reason, error: unavailable.message }, 'git http request refused: storage unavailable');
      else logger.error({ err: e, method: req.method, path: req.path }, 'git http request failed');
      if (res.headersSent) res.destroy();
      else if (unavailable !== null) fail(res, 503, `storage unavailable, ${unavailable.message.replace(/^EIO: /, '')}; retry in ${unavailable.retryAfterSeconds} s`, { 'Retry-After': String(unavailable.retryAfterSeconds) });
      else fail(res, 500, 'internal error');
    }
  });
  return router;
}
