#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { allGroups, cleanupGroup } from './cases/index.js';
import { DEFAULT_OPTIONS, type Options } from './context.js';
import { computeCoverage } from './coverage.js';
import { htmlReport } from './reporters/html-diagram.js';
import { jsonReport } from './reporters/json.js';
import { junitReport } from './reporters/junit.js';
import { tableHeader, tableRow, tableSummary } from './reporters/table.js';
import { runConformance } from './run.js';

const USAGE = `usage: npm run conformance -- --url http://host:port [--token T] [--report out.json|out.xml]... [--html out.html]
  --url              base URL of the deployment (required)
  --token            an admin token, for a deployment with access control (also CONFORMANCE_TOKEN)
  --report FILE      write a report; .json gives JSON, .xml gives JUnit XML (repeatable)
  --html FILE        write the decision-diagram report page
  --max-body-bytes N the deployment's body limit (default ${DEFAULT_OPTIONS.maxBodyBytes}); the 413 cases go just past it
  --max-uri-bytes N  the deployment's request-target limit (default ${DEFAULT_OPTIONS.maxUriBytes})
  --only PREFIX      run only the cases whose id starts with PREFIX (repeatable; set-up and clean-up always run)
  --list             print every case (id, expectation, what it proves) and exit
  --help, -h         print this text and exit
exit status: 0 no deviation, 1 deviations, 2 usage error`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a positive whole number`);
  return n;
}

function args() {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        report: { type: 'string', multiple: true },
        html: { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'max-uri-bytes': { type: 'string' },
        only: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
}

async function main(): Promise<void> {
  const values = args();
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.list === true) {
    for (const g of [...allGroups, cleanupGroup]) for (const c of g.cases) process.stdout.write(`${c.id.padEnd(48)} ${String(c.expect).padEnd(24)} ${c.title}\n`);
    return;
  }
  if (values.url === undefined) fail('--url is required');
  try {
    new URL(values.url);
  } catch {
    fail(`--url ${values.url} is not a URL`);
  }
  const reports = values.report ?? [];
  for (const r of reports) if (!r.endsWith('.json') && !r.endsWith('.xml')) fail(`--report ${r}: the name must end in .json or .xml`);
  const token = values.token ?? process.env.CONFORMANCE_TOKEN;
  const options: Partial<Options> & Pick<Options, 'url'> = {
    url: values.url,
    ...(token === undefined || token === '' ? {} : { token }),
    maxBodyBytes: positive(values['max-body-bytes'], '--max-body-bytes', DEFAULT_OPTIONS.maxBodyBytes),
    maxUriBytes: positive(values['max-uri-bytes'], '--max-uri-bytes', DEFAULT_OPTIONS.maxUriBytes),
  };

  process.stdout.write(tableHeader());
  const run = await runConformance(options, { onResult: (r) => process.stdout.write(tableRow(r)), ...(values.only === undefined ? {} : { only: values.only }) });
  const coverage = computeCoverage(run.results);
  process.stdout.write(tableSummary(run, coverage));
  for (const file of reports) {
    writeFileSync(file, file.endsWith('.json') ? jsonReport(run, coverage) : junitReport(run));
    process.stdout.write(`report: ${file}\n`);
  }
  if (values.html !== undefined) {
    writeFileSync(values.html, htmlReport(run, coverage));
    process.stdout.write(`diagram: ${values.html}\n`);
  }
  process.exitCode = run.deviations === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`conformance run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
