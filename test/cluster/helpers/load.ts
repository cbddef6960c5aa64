/**
 * Client side of the fault tests: one HTTP exchange recorded as an outcome (never a throw, so a
 * load loop keeps going through failures and the test can list every one), and bounded worker
 * loops (a count and a deadline both stop them).
 */

export interface Outcome {
  method: string;
  url: string;
  /** 0 when no HTTP answer came (connection refused or reset, timeout). */
  status: number;
  error?: string;
  text: string;
  headers: Headers | null;
  start: number;
  end: number;
  /** The first attempt died on its connection before any answer and was sent again. */
  retried?: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  /**
   * Send once more when the connection died before any answer, as curl (so git) and browsers do
   * for a reused keep-alive connection the server closed while the request was on its way
   * (RFC 9112 9.3.1). fetch does not; an nginx reload closes idle client connections.
   */
  retryDeadConnection?: boolean;
}

const DEAD_CONNECTION = /UND_ERR_SOCKET|ECONNRESET|UND_ERR_CLOSED/;

/** Dead pooled connections are dropped one per failure; a few tries reach a fresh one. */
const DEAD_CONNECTION_TRIES = 4;

export async function exchange(method: string, url: string, o: RequestOptions = {}): Promise<Outcome> {
  const first = await attempt(method, url, o);
  let last = first;
  for (let i = 1; i < DEAD_CONNECTION_TRIES && o.retryDeadConnection === true && last.status === 0 && DEAD_CONNECTION.test(last.error ?? ''); i++) {
    last = { ...(await attempt(method, url, o)), start: first.start, retried: first.error ?? '' };
  }
  return last;
}

async function attempt(method: string, url: string, o: RequestOptions): Promise<Outcome> {
  const start = Date.now();
  try {
    const res = await fetch(url, {
      method,
      headers: o.headers ?? {},
      ...(o.body === undefined ? {} : { body: o.body }),
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    return { method, url, status: res.status, text, headers: res.headers, start, end: Date.now() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const error = `${(err as Error).message}${cause === undefined ? '' : ` (${cause.code ?? cause.message ?? ''})`}`;
    return { method, url, status: 0, error, text: '', headers: null, start, end: Date.now() };
  }
}

export const ok = (o: Outcome): boolean => o.status >= 200 && o.status < 300;

/** One line per outcome for a failure message. */
export function describe(outcomes: Outcome[]): string {
  return outcomes.map((o) => `${o.method} ${o.url} -> ${o.status}${o.error === undefined ? '' : ` ${o.error}`} ${o.text.slice(0, 200)}`).join('\n');
}

export interface LoopLimits {
  /** Iterations per worker at most. */
  iterations: number;
  /** Absolute time (Date.now()) after which no new iteration starts. */
  until: number;
  /** Checked before every iteration: the test says when it has seen enough. */
  stop?: () => boolean;
}

/** `count` workers each running `step` until a limit is hit. */
export async function loop(count: number, limits: LoopLimits, step: (worker: number, iteration: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, worker) => {
      for (let i = 0; i < limits.iterations && Date.now() < limits.until && limits.stop?.() !== true; i++) await step(worker, i);
    }),
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` answers true or the time is up; answers whether it did. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

export interface FaultUnderLoad {
  /** Starts the traffic; it must stop soon after `stop()` answers true. */
  traffic: (stop: () => boolean) => Promise<unknown>;
  /** The traffic has got going: the fault may come. */
  warm: () => boolean;
  warmWithinMs: number;
  fault: () => Promise<void>;
  /** How long the traffic goes on after the fault. */
  afterMs: number;
}

/**
 * Traffic, then a fault once it is warm, then more traffic. The traffic is always stopped and
 * awaited, also when warming up or the fault fails, so no loop outlives the test. Answers when the
 * fault was done (Date.now()).
 */
export async function faultUnderLoad(o: FaultUnderLoad): Promise<number> {
  let faultAt = 0;
  let halted = false;
  const traffic = o.traffic(() => halted || (faultAt > 0 && Date.now() > faultAt + o.afterMs));
  try {
    if (!(await eventually(o.warm, o.warmWithinMs, 20))) throw new Error(`the traffic did not get going within ${o.warmWithinMs} ms`);
    await o.fault();
    faultAt = Date.now();
  } finally {
    if (faultAt === 0) halted = true;
    await traffic;
  }
  return faultAt;
}
