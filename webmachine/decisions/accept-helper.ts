import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { essence } from '../negotiation.js';
import type { Step } from './types.js';

/**
 * Runs the handler of content_types_accepted for the request's Content-Type (reached from N11
 * with post_is_create, O14 and P3). Parameters are ignored for matching; an accepted entry may be
 * a wildcard (`*\/*`, `text/*`). Answers true to continue, or the status that ends the flow.
 */
export async function acceptHelper(f: FlowState): Promise<true | Step> {
  const raw = f.req.header('content-type');
  const requested = essence(raw === undefined || raw.trim() === '' ? 'application/octet-stream' : raw);
  const accepted = await f.ask(f.resource.contentTypesAccepted());
  const entry = accepted.find(([type]) => {
    const offered = essence(type);
    if (offered === '*/*' || offered === requested) return true;
    return offered.endsWith('/*') && requested.startsWith(offered.slice(0, -1));
  });
  if (entry === undefined) {
    const types = accepted.map(([type]) => type);
    // RFC 5789 section 2.2: a 415 to a PATCH names the patch formats the resource takes.
    if (f.method === 'PATCH') f.res.setHeader('Accept-Patch', types.join(', '));
    return halt(415, { detail: `Content-Type ${requested} is not accepted; use one of: ${types.join(', ')}.`, accepted: types });
  }
  const ok = await f.ask(entry[1]());
  // Erlang treats false as success; cowboy_rest (and the rfc profile) say the body was bad.
  if (ok === false && f.rfc) return halt(400, { detail: 'The request body could not be processed.' });
  return true;
}
