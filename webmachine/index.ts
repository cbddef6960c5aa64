export { Resource } from './resource.js';
export type {
  Acceptor,
  CharsetConverter,
  Chosen,
  ContentTypesAccepted,
  ContentTypesProvided,
  CharsetsProvided,
  Producer,
  ResourceFactory,
  ResourceInit,
} from './resource.js';
export { Halt, halt } from './halt.js';
export type { Awaitable, Outcome } from './halt.js';
export { andThen, all, Memo } from './maybe.js';
export type { Maybe } from './maybe.js';
export { Request, BodyTooLarge } from './request.js';
export { lingerAfterResponse, DEFAULT_LINGER, type LingerLimits } from './linger.js';
export { Response, SizedBody } from './response.js';
export type { Body } from './response.js';
export { handle } from './engine.js';
export type { HandleResult } from './engine.js';
export { resource, listenForContinue, createEngineServer } from './express-adapter.js';
export { RouteTable, type TableRoute } from './route-table.js';
export { engineOptions, defaultOptions, silentLogger } from './options.js';
export type { EngineOptions, Logger, Profile } from './options.js';
export { problem, renderProblem, PROBLEM_MEDIA_TYPE } from './problem.js';
export type { Problem, ProblemInit } from './problem.js';
export { parseHttpDate, formatHttpDate } from './http-date.js';
export { parseETagList, formatETag, strongMatch, weakMatch } from './etag.js';
export type { EntityTag } from './etag.js';
export { decisions } from './decisions/index.js';
