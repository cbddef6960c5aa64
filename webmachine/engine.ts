import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FlowState } from './flow-state.js';
import { runFlow } from './flow.js';
import { Halt } from './halt.js';
import type { EngineOptions } from './options.js';
import { Request } from './request.js';
import type { ResourceFactory } from './resource.js';
import { Response } from './response.js';
import { writeResponse } from './respond.js';

export interface HandleResult {
  status: number;
  trace: string[];
}

/**
 * Serves one request with one fresh resource: runs the decision flow, calls finish_request,
 * writes the response, logs one line. Thrown errors become a 500 problem (and are logged);
 * the client never sees a stack trace.
 */
export async function handle(
  factory: ResourceFactory,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  params: Record<string, string>,
  opts: EngineOptions,
): Promise<HandleResult> {
  const started = process.hrtime.bigint();
  const request = new Request(incoming, outgoing, params, opts.maxBodyBytes);
  const requestId = request.header('x-request-id') ?? randomUUID();
  let response = new Response();
  let flow: FlowState | undefined;
  let status: number;
  let halt: Halt | undefined;
  try {
    const resource = factory({ request, response, options: opts });
    flow = new FlowState(resource, request, response, opts);
    ({ status, halt } = await runFlow(flow));
    const finished = await resource.finishRequest();
    if (finished instanceof Halt) ({ status, halt } = { status: finished.status, halt: finished });
  } catch (err) {
    opts.logger.error({ err, requestId, method: request.method, path: request.path, trace: flow?.trace }, 'resource failed');
    // Nothing half-built by the failed resource may leak into the 500.
    response = new Response();
    flow = undefined;
    status = 500;
    halt = new Halt(500, { detail: `Internal error; request id ${requestId}.` });
  }
  const trace = flow?.trace ?? [];
  if (opts.trace) response.setHeader('X-Decision-Trace', trace.join(','));
  try {
    status = await writeResponse(flow, request, response, status, halt, outgoing);
  } catch (err) {
    opts.logger.error({ err, requestId, method: request.method, path: request.path }, 'response failed');
    if (!outgoing.headersSent) {
      outgoing.statusCode = 500;
      outgoing.end();
    } else {
      outgoing.destroy();
    }
    status = 500;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  opts.logger.info({ requestId, method: request.method, path: request.path, status, ms, ...(opts.trace ? { trace } : {}) }, 'request');
  return { status, trace };
}
