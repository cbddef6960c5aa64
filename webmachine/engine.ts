import type { IncomingMessage, ServerResponse } from 'node:http';
import { FlowState } from './flow-state.js';
import { type FlowOutcome, haltOutcome, runFlow } from './flow.js';
import { andThen, attempt, type Maybe } from './maybe.js';
import { Halt } from './halt.js';
import { httpDateNow } from './http-date.js';
import { type EngineOptions, silentLogger } from './options.js';
import { PROBLEM_MEDIA_TYPE, problem, renderProblem } from './problem.js';
import { Request } from './request.js';
import type { Resource, ResourceFactory } from './resource.js';
import { Response } from './response.js';
import { withType, writeResponse } from './respond.js';

export interface HandleResult {
  status: number;
  /** The nodes visited, in order (also when a callback threw: the trace ends at that node). */
  trace: string[];
}

const internalError = (request: Request): Halt => new Halt(500, { detail: `Internal error; request id ${request.id}.` });

/**
 * Serves one request with one fresh resource: runs the decision flow, calls finish_request
 * (exactly once, also for halts and errors), writes the response, logs one line. Thrown errors
 * become a 500 problem (and are logged), or the Halt `knownFailure` names for them; the client
 * never sees a stack trace. Synchronous while
 * the resource's callbacks are: a warm read costs no promise here.
 */
export function handle(
  factory: ResourceFactory,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  params: Record<string, string>,
  opts: EngineOptions,
): Maybe<HandleResult> {
  const exchange = new Exchange(incoming, outgoing, params, opts);
  return andThen(exchange.decide(factory), (outcome) => exchange.respond(outcome));
}

/** One request's way through the engine: decide (flow, finish_request), then respond. */
class Exchange {
  private readonly logging: boolean;
  private readonly started: bigint;
  private readonly request: Request;
  private response = new Response();
  private resource: Resource | undefined;
  private flow: FlowState | undefined;
  private trace: string[] = [];
  private finished = false;

  constructor(
    incoming: IncomingMessage,
    private readonly outgoing: ServerResponse,
    params: Record<string, string>,
    private readonly opts: EngineOptions,
  ) {
    this.logging = opts.logger !== silentLogger;
    this.started = this.logging ? process.hrtime.bigint() : 0n;
    this.request = new Request(incoming, outgoing, params, opts.maxBodyBytes);
  }

  /** The flow's outcome after finish_request; never fails (a failure is the 500 outcome). */
  decide(factory: ResourceFactory): Maybe<FlowOutcome> {
    return attempt(
      () => {
        const resource = factory({ request: this.request, response: this.response, options: this.opts });
        this.resource = resource;
        const flow = new FlowState(resource, this.request, this.response, this.opts);
        this.flow = flow;
        this.trace = flow.trace;
        return andThen(runFlow(flow), (outcome) => this.finishRequest(resource, flow, outcome));
      },
      (err) => this.failed(err),
    );
  }

  private finishRequest(resource: Resource, flow: FlowState, outcome: FlowOutcome): Maybe<FlowOutcome> {
    this.finished = true;
    return andThen(resource.finishRequest(), (answer) => {
      if (!(answer instanceof Halt)) return outcome;
      // The body built so far belongs to the status being replaced.
      if (answer.status >= 400) this.response.body = undefined;
      return haltOutcome(flow, answer);
    });
  }

  private failed(err: unknown): Maybe<FlowOutcome> {
    const { request, opts } = this;
    const known = opts.knownFailure?.(err);
    if (known === undefined) opts.logger.error({ err, requestId: request.id, method: request.method, path: request.path, trace: this.trace }, 'resource failed');
    else opts.logger.warn({ requestId: request.id, method: request.method, path: request.path, status: known.status, reason: err instanceof Error ? err.message : String(err) }, 'resource failed: a known condition');
    const resource = this.resource;
    const cleaned = resource !== undefined && !this.finished ? finishAfterError(resource, request, opts) : undefined;
    return andThen(cleaned, () => {
      // Nothing half-built by the failed resource may leak into the 500.
      this.response = new Response();
      this.flow = undefined;
      if (known === undefined) return { status: 500, halt: internalError(request) };
      for (const [name, value] of Object.entries(known.headers)) this.response.setHeader(name, value);
      return { status: known.status, halt: known };
    });
  }

  /** Writes the answer and logs it; never fails (a failed write is a last-resort 500). */
  respond(outcome: FlowOutcome): Maybe<HandleResult> {
    const { request, opts, outgoing } = this;
    const written = attempt(
      () => writeResponse(this.flow, request, this.response, outcome.status, outcome.halt, outgoing, opts.trace ? this.trace : undefined, opts.problemType),
      (err) => {
        opts.logger.error({ err, requestId: request.id, method: request.method, path: request.path }, 'response failed');
        writeLastResort(request, outgoing, opts);
        return 500;
      },
    );
    return andThen(written, (status) => {
      if (this.logging) {
        const ms = Number(process.hrtime.bigint() - this.started) / 1e6;
        opts.logger.debug({ requestId: request.id, method: request.method, path: request.path, status, ms, ...(opts.trace ? { trace: this.trace } : {}) }, 'request');
      }
      return { status, trace: this.trace };
    });
  }
}

/** finish_request still runs after an error (it may release what earlier callbacks took); its answer cannot change the 500. */
function finishAfterError(resource: Resource, request: Request, opts: EngineOptions): Maybe<void> {
  return attempt(
    () => andThen(resource.finishRequest(), () => undefined),
    (err) => {
      opts.logger.error({ err, requestId: request.id }, 'finish_request failed');
    },
  );
}

/** Writing the response failed: a clean 500 problem if nothing went out yet, else cut the connection. */
function writeLastResort(request: Request, outgoing: ServerResponse, opts: EngineOptions): void {
  if (outgoing.headersSent) {
    outgoing.destroy();
    return;
  }
  for (const name of outgoing.getHeaderNames()) outgoing.removeHeader(name);
  const body = renderProblem(problem(500, withType(500, internalError(request).problem ?? {}, opts.problemType)));
  outgoing.writeHead(500, { 'Content-Type': PROBLEM_MEDIA_TYPE, 'Content-Length': String(body.length), Date: httpDateNow() });
  outgoing.end(request.method === 'HEAD' ? undefined : body);
}
