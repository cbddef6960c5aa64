import type { CaseResult } from '../case.js';
import type { Coverage, Mark } from '../coverage.js';
import { EDGES, type Edge, edgeKey, NEEDS_TOKEN, NODES, type NodeId, UNREACHABLE, unreachableReason } from '../diagram.js';
import { compact, type RunResult } from '../run.js';
import { xmlEscape } from './junit.js';

/**
 * The report page: one self-contained HTML file (inline SVG and CSS, nothing fetched) drawing the
 * v3 diagram on its grid (columns A-P, rows 1-26), each node and edge coloured by what the run
 * proved, followed by the reasons for grey, the failures, and every case.
 */

const COL_W = 118;
const ROW_H = 56;
const LEFT = 40;
const TOP = 10;
const NODE_W = 50;
const NODE_H = 24;
const PILL_W = 36;
const PILL_H = 18;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const centre = (col: number, row: number): { x: number; y: number } => ({ x: LEFT + col * COL_W + COL_W / 2, y: TOP + (row - 1) * ROW_H + ROW_H / 2 });

function overlaps(a: Box, b: Box, gap = 4): boolean {
  return Math.abs(a.x - b.x) * 2 < a.w + b.w + gap && Math.abs(a.y - b.y) * 2 < a.h + b.h + gap;
}

/** Where each terminal status of a node is drawn: the first free spot around the node. */
function placePills(nodeBoxes: Map<NodeId, Box>): Map<string, Box> {
  const taken: Box[] = [...nodeBoxes.values()];
  const placed = new Map<string, Box>();
  const offsets: [number, number][] = [];
  for (const r of [1, 2, 3]) {
    for (const [dx, dy] of [[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [1, -1], [-1, 1], [1, 1]] as const) offsets.push([dx * r * 46, dy * r * 26]);
  }
  for (const e of EDGES) {
    if (typeof e.to !== 'number') continue;
    const from = nodeBoxes.get(e.from)!;
    for (const [dx, dy] of offsets) {
      const box = { x: from.x + dx, y: from.y + dy, w: PILL_W, h: PILL_H };
      if (!taken.some((t) => overlaps(t, box))) {
        taken.push(box);
        placed.set(edgeKey(e.from, e.to), box);
        break;
      }
    }
  }
  return placed;
}

/** The point where the segment from a's centre towards b's leaves box a. */
function exit(a: Box, b: Box): { x: number; y: number } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const t = Math.min(dx === 0 ? Infinity : a.w / 2 / Math.abs(dx), dy === 0 ? Infinity : a.h / 2 / Math.abs(dy));
  return { x: a.x + dx * t, y: a.y + dy * t };
}

function edgeSvg(e: Edge, from: Box, to: Box, mark: Mark, cases: string[]): string {
  const s = exit(from, to);
  const t = exit(to, from);
  const lx = s.x + (t.x - s.x) * 0.35;
  const ly = s.y + (t.y - s.y) * 0.35;
  const tip = `${e.from.toUpperCase()} → ${String(e.to).toUpperCase()}${e.label === '' ? '' : ` (${e.label})`}${e.kind === 'halt' ? ', a callback halts' : ''}`;
  const why = mark === 'unreachable' ? `\n${unreachableReason(e.from, e.to) ?? ''}` : cases.length > 0 ? `\n${cases.join('\n')}` : '';
  return (
    `<g class="edge ${mark}${e.kind === 'halt' ? ' halt' : ''}"><title>${xmlEscape(tip + why)}</title>` +
    `<line x1="${s.x.toFixed(1)}" y1="${s.y.toFixed(1)}" x2="${t.x.toFixed(1)}" y2="${t.y.toFixed(1)}" marker-end="url(#arrow-${mark})"/>` +
    (e.label === '' ? '' : `<text x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" class="label">${e.label}</text>`) +
    '</g>'
  );
}

function svg(coverage: Coverage): string {
  const boxes = new Map<NodeId, Box>();
  for (const n of NODES) boxes.set(n.id, { ...centre(n.col, n.row), w: NODE_W, h: NODE_H });
  const pills = placePills(boxes);
  const width = LEFT + 16 * COL_W + 10;
  const bottom = Math.max(...[...boxes.values(), ...pills.values()].map((b) => b.y + b.h));
  const height = bottom + 20;
  const parts: string[] = [];
  // The drawing's grid: column letters and row numbers.
  for (let c = 0; c < 16; c++) parts.push(`<text class="grid" x="${LEFT + c * COL_W + COL_W / 2}" y="${height - 4}">${'ABCDEFGHIJKLMNOP'[c]}</text>`);
  for (let r = 1; r * ROW_H < bottom; r++) parts.push(`<text class="grid" x="14" y="${TOP + (r - 1) * ROW_H + ROW_H / 2 + 4}">${r}</text>`);
  for (const e of EDGES) {
    const from = boxes.get(e.from)!;
    const key = edgeKey(e.from, e.to);
    const to = typeof e.to === 'number' ? pills.get(key) : boxes.get(e.to);
    if (to === undefined) continue;
    parts.push(edgeSvg(e, from, to, (coverage.edges[key] ?? 'uncovered') as Mark, coverage.edgeCases[key] ?? []));
  }
  for (const e of EDGES) {
    if (typeof e.to !== 'number') continue;
    const key = edgeKey(e.from, e.to);
    const p = pills.get(key);
    if (p === undefined) continue;
    const mark = coverage.edges[key] ?? 'uncovered';
    parts.push(`<g class="status ${mark}"><title>${xmlEscape(`${e.to} from ${e.from.toUpperCase()}`)}</title><rect x="${p.x - p.w / 2}" y="${p.y - p.h / 2}" width="${p.w}" height="${p.h}" rx="9"/><text x="${p.x}" y="${p.y + 4}">${e.to}</text></g>`);
  }
  for (const n of NODES) {
    const b = boxes.get(n.id)!;
    const mark = coverage.nodes[n.id] ?? 'uncovered';
    const cases = coverage.nodeCases[n.id] ?? [];
    const why = mark === 'unreachable' ? `\n${unreachableReason(n.id) ?? ''}` : cases.length > 0 ? `\nproven by ${cases.length} case(s): ${cases.slice(0, 8).join(', ')}${cases.length > 8 ? '…' : ''}` : '';
    parts.push(
      `<g class="node ${mark}"><title>${xmlEscape(`${n.id.toUpperCase()}: ${n.question}${why}`)}</title>` +
        `<rect x="${b.x - b.w / 2}" y="${b.y - b.h / 2}" width="${b.w}" height="${b.h}" rx="4"/><text x="${b.x}" y="${b.y + 4}">${n.id.toUpperCase()}</text></g>`,
    );
  }
  const markers = (['covered', 'failed', 'unreachable', 'uncovered'] as const)
    .map((m) => `<marker id="arrow-${m}" class="${m}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="webmachine v3 decision diagram"><defs>${markers}</defs>${parts.join('')}</svg>`;
}

const CSS = `
body{font:14px system-ui,sans-serif;margin:20px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;font-size:12px}
th{background:#f4f4f4}code{font-size:12px}.pass{color:#1f7a3a}.fail{color:#c0261d;font-weight:600}.skip{color:#777}
.diagram{overflow:auto;border:1px solid #ddd;background:#fcfcfc}
svg text{font:11px system-ui,sans-serif;text-anchor:middle}svg text.grid{fill:#999;font-size:10px}svg text.label{fill:#555;font-size:9px}
.node rect{fill:#fff;stroke:#555;stroke-width:1.2}.node.covered rect{fill:#c8ecd2;stroke:#2e9d4f;stroke-width:2}
.node.failed rect{fill:#f8c9c5;stroke:#d62728;stroke-width:2.5}.node.unreachable rect{fill:#eee;stroke:#aaa;stroke-dasharray:3 2}.node.unreachable text{fill:#999}
.status rect{fill:#fff;stroke:#888}.status.covered rect{fill:#2e9d4f;stroke:#2e9d4f}.status.covered text{fill:#fff;font-weight:600}
.status.failed rect{fill:#d62728;stroke:#d62728}.status.failed text{fill:#fff;font-weight:600}.status.unreachable rect{fill:#eee;stroke:#bbb;stroke-dasharray:3 2}.status.unreachable text{fill:#aaa}
.edge line{stroke:#999;stroke-width:1}.edge.halt line{stroke-dasharray:2 3}.edge.covered line{stroke:#2e9d4f;stroke-width:2}
.edge.failed line{stroke:#d62728;stroke-width:2.5}.edge.unreachable line{stroke:#ccc;stroke-dasharray:4 3}
marker.covered path{fill:#2e9d4f}marker.failed path{fill:#d62728}marker.unreachable path{fill:#ccc}marker.uncovered path{fill:#999}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:12px;height:12px;border:1px solid #555;vertical-align:middle;margin-right:4px}
`;

function row(cells: string[], cls = ''): string {
  return `<tr${cls === '' ? '' : ` class="${cls}"`}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function caseRows(results: readonly CaseResult[]): string {
  return results
    .map((r) => {
      const failed = r.checks.filter((c) => !c.ok).map((c) => `${xmlEscape(c.name)}: expected ${xmlEscape(c.expected)}, got ${xmlEscape(c.actual)}`);
      const notes = [...failed, ...(r.skipReason === undefined ? [] : [xmlEscape(r.skipReason)]), ...(r.missingFeature === undefined ? [] : [`endpoint not served: ${r.missingFeature}`])];
      return row(
        [
          `<span class="${r.outcome}">${r.outcome}</span>`,
          `<code>${xmlEscape(r.id)}</code><br>${xmlEscape(r.title)}`,
          xmlEscape(r.expected),
          xmlEscape(r.actual),
          r.request === undefined ? '' : `<code>${xmlEscape(`${r.request.method} ${r.request.target.length > 80 ? `${r.request.target.slice(0, 80)}…` : r.request.target}`)}</code>`,
          `<code>${xmlEscape(r.trace === undefined ? '' : compact(r.trace))}</code>`,
          notes.join('<br>'),
        ],
        r.outcome,
      );
    })
    .join('');
}

export function htmlReport(run: RunResult, coverage: Coverage): string {
  const count = (o: CaseResult['outcome']): number => run.results.filter((r) => r.outcome === o).length;
  const notCovered = [
    ...Object.entries(coverage.nodes).filter(([, m]) => m === 'uncovered').map(([k]) => k.toUpperCase()),
    ...Object.entries(coverage.edges).filter(([, m]) => m === 'uncovered').map(([k]) => `${k.replace('>', ' → ').toUpperCase()}${NEEDS_TOKEN.includes(k) ? ' (needs --token)' : ''}`),
  ];
  const unreachable = UNREACHABLE.map((u) => row([`<code>${u.from.toUpperCase()}${u.to === undefined ? '' : ` → ${String(u.to).toUpperCase()}`}</code>`, xmlEscape(u.reason)])).join('');
  const failures = run.results.filter((r) => r.outcome === 'fail');
  const head = '<tr><th></th><th>case</th><th>expected</th><th>actual</th><th>request</th><th>decision trace</th><th>notes</th></tr>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Conformance report: ${xmlEscape(run.url)}</title><style>${CSS}</style></head>
<body>
<h1>Conformance report for ${xmlEscape(run.url)}</h1>
<p>${run.results.length} cases, <span class="pass">${count('pass')} passed</span>, <span class="fail">${count('fail')} failed</span>, <span class="skip">${count('skip')} skipped</span>; started ${xmlEscape(run.startedAt)}, ${(run.ms / 1000).toFixed(1)} s; scratch repository <code>${xmlEscape(run.repo)}</code>.
Decision traces were ${run.traceExposed ? 'exposed and compared node by node' : 'not exposed: nodes are coloured from the paths the passing cases declare'}.
Terminal statuses proven on the diagram: ${coverage.statuses.join(' ')}.${run.fatal === undefined ? '' : ` <strong class="fail">Stopped: ${xmlEscape(run.fatal)}</strong>`}</p>
<p class="legend"><span><i class="sw" style="background:#c8ecd2;border-color:#2e9d4f"></i>covered</span><span><i class="sw" style="background:#f8c9c5;border-color:#d62728"></i>failed</span><span><i class="sw" style="background:#eee;border-style:dashed"></i>unreachable from outside</span><span><i class="sw" style="background:#fff"></i>not covered by this run</span><span>dotted edge: a status a callback answers itself (halt)</span><span>hover for questions, reasons and cases</span></p>
<div class="diagram">${svg(coverage)}</div>
<h2>Failures (${failures.length})</h2>
${failures.length === 0 ? '<p>none</p>' : `<table>${head}${caseRows(failures)}</table>`}
<h2>Unreachable from outside, and why</h2>
<table><tr><th>node / edge</th><th>reason</th></tr>${unreachable}</table>
<h2>Reachable but not covered by this run</h2>
<p>${notCovered.length === 0 ? 'none' : notCovered.map((n) => `<code>${xmlEscape(n)}</code>`).join(', ')}</p>
${coverage.strayEdges.length === 0 ? '' : `<h2>Edges walked that the diagram does not have</h2><p>${coverage.strayEdges.map((e) => `<code>${xmlEscape(e)}</code>`).join(', ')}</p>`}
<h2>Every case</h2>
<table>${head}${caseRows(run.results)}</table>
</body></html>
`;
}
