import type { CaseResult } from '../case.js';
import type { RunResult } from '../run.js';

/** JUnit XML for CI: one testsuite a group, one testcase a case, failures list the broken checks. */

export function xmlEscape(text: string): string {
  // XML 1.0 cannot carry most control characters at all, even escaped.
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function testcase(r: CaseResult): string {
  const head = `    <testcase classname="conformance.${xmlEscape(r.group)}" name="${xmlEscape(r.id)}" time="${(r.ms / 1000).toFixed(3)}">`;
  if (r.outcome === 'skip') return `${head}<skipped message="${xmlEscape(r.skipReason ?? '')}"/></testcase>`;
  if (r.outcome === 'pass') return `${head}</testcase>`;
  const failed = r.checks.filter((c) => !c.ok);
  const message = failed.map((c) => c.name).join(', ');
  const detail = [
    r.title,
    `expected ${r.expected}, got ${r.actual}`,
    ...failed.map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}`),
    ...(r.request === undefined ? [] : [`request: ${r.request.method} ${r.request.target}`]),
    ...(r.trace === undefined ? [] : [`trace: ${r.trace.join(',')}`]),
  ].join('\n');
  return `${head}\n      <failure message="${xmlEscape(message)}" type="deviation">${xmlEscape(detail)}</failure>\n    </testcase>`;
}

export function junitReport(run: RunResult): string {
  const groups = [...new Set(run.results.map((r) => r.group))];
  const suites = groups.map((g) => {
    const rs = run.results.filter((r) => r.group === g);
    const time = rs.reduce((s, r) => s + r.ms, 0) / 1000;
    const attrs = `name="${xmlEscape(g)}" tests="${rs.length}" failures="${rs.filter((r) => r.outcome === 'fail').length}" skipped="${rs.filter((r) => r.outcome === 'skip').length}" time="${time.toFixed(3)}"`;
    return `  <testsuite ${attrs}>\n${rs.map(testcase).join('\n')}\n  </testsuite>`;
  });
  const failures = run.results.filter((r) => r.outcome === 'fail').length;
  const fatal = run.fatal === undefined ? '' : `  <testsuite name="run" tests="1" failures="1"><testcase name="run"><failure message="${xmlEscape(run.fatal)}"/></testcase></testsuite>\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="conformance" tests="${run.results.length}" failures="${failures}" time="${(run.ms / 1000).toFixed(3)}">\n${suites.join('\n')}\n${fatal}</testsuites>\n`;
}
