import * as bColumn from './b-column.js';
import * as methods from './methods.js';
import * as missing from './missing.js';
import * as negotiation from './negotiation-nodes.js';
import * as preconditions from './preconditions.js';
import type { Decision, NodeId } from './types.js';

/** Every decision of the flow by its node id (b13 ... p11), so traces name diagram nodes. */
export const decisions: Readonly<Record<NodeId, Decision>> = {
  ...bColumn,
  ...negotiation,
  ...preconditions,
  ...missing,
  ...methods,
};

export type { Decision, NodeId, Step } from './types.js';
