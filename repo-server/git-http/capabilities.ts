/**
 * What this server advertises. Only capabilities it honours are listed (a client may rely on
 * any advertised one). Not advertised on purpose: deepen-since, deepen-not (not implemented),
 * filter (partial clone: not implemented), allow-*-sha1-in-want (wants must be advertised tips
 * or reachable from them), no-thin (thin pushes are completed on receipt instead, see docs).
 */
export const AGENT = 'agent=content-repo-git-http/1';

export function uploadPackV0Capabilities(headTarget: string | null): string[] {
  const caps = [
    'multi_ack',
    'thin-pack',
    'side-band',
    'side-band-64k',
    'ofs-delta',
    'shallow',
    'deepen-relative',
    'no-progress',
    'include-tag',
    'multi_ack_detailed',
    'no-done',
  ];
  if (headTarget !== null) caps.push(`symref=HEAD:${headTarget}`);
  caps.push('object-format=sha1', AGENT);
  return caps;
}

export const RECEIVE_PACK_CAPABILITIES = [
  'report-status',
  'report-status-v2',
  'delete-refs',
  'side-band-64k',
  'quiet',
  'atomic',
  'ofs-delta',
  'push-options',
  'object-format=sha1',
  AGENT,
];

/** Protocol v2 capability advertisement lines (after "version 2"). */
export const V2_CAPABILITIES = [AGENT, 'ls-refs=unborn', 'fetch=shallow', 'server-option', 'object-format=sha1'];

/** Parses "a b=c" capability strings into a set of names and a map of values. */
export function parseCapabilities(text: string): { names: Set<string>; values: Map<string, string> } {
  const names = new Set<string>();
  const values = new Map<string, string>();
  for (const word of text.split(' ')) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    names.add(name);
    if (eq >= 0) values.set(name, word.slice(eq + 1));
  }
  return { names, values };
}
