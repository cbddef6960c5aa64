import type { IncomingMessage, ServerResponse } from 'node:http';
import { FlowState } from './flow-state.js';
import { type FlowOutcome, haltOutcome, runFlow } from './flow.js';
import { Halt } from './halt.js';
import { httpDateNow } from './http-date.js';
import { type EngineOptions, silentLogger } from './options.js';
import { PROBLEM_MEDIA_TYPE, problem, renderProblem } from './problem.js';
import { Request } from './request.js';
import type { Resource, ResourceFactory } from './resource.js';
import { Response } from './response.js';
import { writeResponse } from './respond.js';

export interface HandleResult {
  status: number;
  /** The nodes visited, in order (also when a callback threw: the trace ends at that node). */
  trace: string[];
}

const internalError = (request: Request): Halt => new Halt(500, { detail: `Internal error; request id ${request.id}.` });

/**
 * Serves one request with one fresh resource: runs the decision flow, calls finish_request
 * (exactly once, also for halts and errors), writes the response, logs one line. Thrown errors
 * become a 500 problem (and are logged); the client never sees a stack trace.
 */
export async function handle(
  factory: ResourceFactory,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  params: Record<string, string>,
  opts: EngineOptions,
): Promise<HandleResult> {
  const logging = opts.logger !== silentLogger;
  const started = logging ? process.hrtime.bigint() : 0n;
  const request = new Request(incoming, outgoing, params, opts.maxBodyBytes);
  let response = new Response();
  let resource: Resource | undefined;
  let flow: FlowState | undefined;
  let trace: string[] = [];
  let finished = false;
  let outcome: FlowOutcome;
  try {
    resource = factory({ request, response, options: opts });
    flow = new FlowState(resource, request, response, opts);
    trace = flow.trace;
    outcome = await runFlow(flow);
    finished = true;
    let answer = resource.finishRequest();
    if (answer instanceof Promise) answer = await answer;
    if (answer instanceof Halt) {
      // The body built so far belongs to the status being replaced.
      if (answer.status >= 400) response.body = undefined;
      outcome = haltOutcome(flow, answer);
    }
  } catch (err) {
    opts.logger.error({ err, requestId: request.id, method: request.method, path: request.path, trace }, 'resource failed');
    if (resource !== undefined && !finished) await finishAfterError(resource, request, opts);
    // Nothing half-built by the failed resource may leak into the 500.
    response = new Response();
    flow = undefined;
    outcome = { status: 500, halt: internalError(request) };
  }
  let status: number;
  try {
    status = await writeResponse(flow, request, response, outcome.status, outcome.halt, outgoing, opts.trace ? trace : undefined);
  } catch (err) {
    opts.logger.error({ err, requestId: request.id, method: request.method, path: request.path }, 'response failed');
    status = 500;
    writeLastResort(request, outgoing);
  }
  if (logging) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    opts.logger.debug({ requestId: request.id, method: request.method, path: request.path, status, ms, ...(opts.trace ? { trace } : {}) }, 'request');
  }
  return { status, trace };
}

/** finish_request still runs after an error (it may release what earlier callbacks took); its answer cannot change the 500. */
async function finishAfterError(resource: Resource, request: Request, opts: EngineOptions): Promise<void> {
  try {
    await resource.finishRequest();
  } catch (err) {
    opts.logger.error({ err, requestId: request.id }, 'finish_request failed');
  }
}

/** Writing the response failed: a clean 500 problem if nothing went out yet, else cut the connection. */
function writeLastResort(request: Request, outgoing: ServerResponse): void {
  if (outgoing.headersSent) {
    outgoing.destroy();
    return;
  }
  for (const name of outgoing.getHeaderNames()) outgoing.removeHeader(name);
  const body = renderProblem(problem(500, internalError(request).problem));
  outgoing.writeHead(500, { 'Content-Type': PROBLEM_MEDIA_TYPE, 'Content-Length': String(body.length), Date: httpDateNow() });
  outgoing.end(request.method === 'HEAD' ? undefined : body);
}
