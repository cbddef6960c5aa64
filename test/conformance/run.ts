import type { CaseResult, CaseRun, CaseSpec, Check, ExchangeOptions, Feature } from './case.js';
import { allGroups, cleanupGroup, type Group } from './cases/index.js';
import { Context, DEFAULT_OPTIONS, type Options } from './context.js';
import type { NodeId } from './diagram.js';
import { probeFeatures } from './features.js';
import { SetupError } from './fixtures.js';
import type { Exchange, HttpRequest } from './http-client.js';
import { checkInvariants } from './invariants.js';
import { expand } from './paths.js';

export interface RunResult {
  url: string;
  repo: string;
  startedAt: string;
  ms: number;
  /** Whether the deployment exposes X-Decision-Trace (then traces are compared node by node). */
  traceExposed: boolean;
  features: Partial<Record<Feature, boolean>>;
  results: CaseResult[];
  /** Failed cases; the CLI exits non-zero when there is any. */
  deviations: number;
  /** Why the run stopped early, if it did (deployment unreachable, token needed...). */
  fatal?: string;
}

export interface RunHooks {
  /** Called after each case, for progress output. */
  onResult?: (result: CaseResult) => void;
  /** Only run cases whose id starts with one of these (the scratch set-up and clean-up always run). */
  only?: readonly string[];
}

class Recorder implements CaseRun {
  readonly checks: Check[] = [];
  primary: Exchange | undefined;
  actualText: string | undefined;

  constructor(
    readonly ctx: Context,
    private readonly spec: CaseSpec,
  ) {}

  async exchange(req: HttpRequest, options: ExchangeOptions = {}): Promise<Exchange> {
    if (this.primary !== undefined) throw new Error(`case ${this.spec.id} sent a second request under test; use ctx.send for set-up`);
    const ex = await this.ctx.send(req, options.anonymous === true);
    this.primary = ex;
    if (ex.status === 0) {
      this.check('response', false, 'an HTTP answer', ex.error ?? 'none');
      return ex;
    }
    if (typeof this.spec.expect === 'number') this.check('status', ex.status === this.spec.expect, String(this.spec.expect), String(ex.status));
    if (this.spec.path !== undefined && ex.trace !== undefined) {
      const expected = expand(this.spec.path, ex.requestHeaders).nodes;
      this.check('trace', expected.join(',') === ex.trace.join(','), compact(expected), compact(ex.trace));
    }
    checkInvariants(this, ex, options);
    return ex;
  }

  check(name: string, ok: boolean, expected: string, actual: string): boolean {
    this.checks.push({ name, ok, expected, actual });
    return ok;
  }

  actual(text: string): void {
    this.actualText = text;
  }
}

/** A trace without the B column, which every request walks the same way. */
export function compact(trace: readonly string[]): string {
  const b = ['b13', 'b12', 'b11', 'b10', 'b9', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3'];
  const full = b.every((n, i) => trace[i] === n);
  return full ? ['b13..b3', ...trace.slice(b.length)].join(',') : trace.join(',');
}

async function runCase(ctx: Context, spec: CaseSpec, group: string): Promise<CaseResult> {
  const started = Date.now();
  const base = { id: spec.id, group, title: spec.title, expected: String(spec.expect) };
  const requires = spec.requires ?? [];
  if (requires.includes('token') && !ctx.hasToken) {
    return { ...base, actual: '-', outcome: 'skip', skipReason: 'needs --token (a deployment with access control)', checks: [], ms: 0 };
  }
  const missing = requires.find((f) => ctx.features.get(f) === false);
  const t = new Recorder(ctx, spec);
  try {
    await spec.run(t);
    if (t.primary === undefined && t.actualText === undefined) t.check('ran', false, 'a request under test', 'none');
  } catch (err) {
    const name = err instanceof SetupError ? 'set-up' : 'error';
    t.check(name, false, 'no error', err instanceof Error ? err.message : String(err));
  }
  const ex = t.primary;
  const failed = t.checks.some((c) => !c.ok);
  const result: CaseResult = {
    ...base,
    actual: t.actualText ?? (ex === undefined ? '-' : ex.status === 0 ? `no answer (${ex.error})` : String(ex.status)),
    outcome: failed ? 'fail' : 'pass',
    checks: t.checks,
    ms: Date.now() - started,
  };
  if (missing !== undefined && failed) result.missingFeature = missing;
  if (ex !== undefined) {
    result.request = { method: ex.method, target: ex.target, headers: redact(ex.requestHeaders) };
    if (ex.trace !== undefined) result.trace = ex.trace;
    if (spec.path !== undefined) {
      const { nodes, status } = expand(spec.path, ex.requestHeaders);
      result.expectedTrace = nodes as NodeId[];
      result.expectedStatus = status;
    }
  }
  return result;
}

/** Tokens must not end up in reports that CI archives. */
function redact(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  for (const name of Object.keys(out)) if (name.toLowerCase() === 'authorization') out[name] = `${out[name]!.split(' ')[0]} <redacted>`;
  return out;
}

async function runGroup(ctx: Context, group: Group, results: CaseResult[], hooks: RunHooks, filtered: boolean): Promise<void> {
  for (const spec of group.cases) {
    if (filtered && hooks.only !== undefined && !hooks.only.some((p) => spec.id.startsWith(p))) continue;
    const result = await runCase(ctx, spec, group.name);
    results.push(result);
    hooks.onResult?.(result);
  }
}

/**
 * Runs every case against a deployment: creates the scratch repository, probes which endpoints
 * exist, runs the groups in order, then always deletes the scratch repository (and checks 410).
 */
export async function runConformance(opts: Partial<Options> & Pick<Options, 'url'>, hooks: RunHooks = {}): Promise<RunResult> {
  const options: Options = { ...DEFAULT_OPTIONS, ...opts };
  const ctx = new Context(options);
  const started = Date.now();
  const results: CaseResult[] = [];
  let fatal: string | undefined;
  try {
    const reach = await ctx.send({ method: 'OPTIONS', target: '/repos' });
    if (reach.status === 0) {
      fatal = `cannot reach ${options.url}: ${reach.error}`;
    } else {
      await probeFeatures(ctx);
      const [setup, ...rest] = allGroups;
      await runGroup(ctx, setup!, results, hooks, false);
      const created = results.find((r) => r.id === setup!.cases[0]!.id);
      if (created?.actual === '401' && !ctx.hasToken) fatal = 'the deployment requires authentication: pass --token with an admin token';
      else if (created?.outcome !== 'pass') fatal = `could not create the scratch repository ${ctx.repo}; later cases would only repeat that`;
      else for (const group of rest) await runGroup(ctx, group, results, hooks, true);
      if (created?.outcome === 'pass') await runGroup(ctx, cleanupGroup, results, hooks, false);
    }
  } finally {
    ctx.close();
  }
  const traceExposed = results.some((r) => r.trace !== undefined);
  return {
    url: options.url,
    repo: ctx.repo,
    startedAt: new Date(started).toISOString(),
    ms: Date.now() - started,
    traceExposed,
    features: Object.fromEntries(ctx.features),
    results,
    deviations: results.filter((r) => r.outcome === 'fail').length + (fatal === undefined ? 0 : 1),
    ...(fatal === undefined ? {} : { fatal }),
  };
}
