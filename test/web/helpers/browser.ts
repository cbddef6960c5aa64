/**
 * Browser sessions for the web client's tests: Debian's chromium driven by playwright-core,
 * headless, each session in its own fresh temp profile (two sessions are two people), with every
 * request that does not go to the test server refused, so the suite stays on loopback.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Session {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and refused off-loopback requests, for the end of the test. */
  problems: string[];
  close(): Promise<void>;
}

export async function openSession(baseUrl: string): Promise<Session> {
  const profile = mkdtempSync(join(tmpdir(), 'web-client-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1200, height: 860 },
    timeout: 30_000,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl) || url.startsWith('blob:') || url.startsWith('data:') || url === 'about:srcdoc') return route.continue();
    problems.push(`request left loopback: ${url}`);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(15_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // Expected, and logged by Chromium all the same: a 401/404/409/412 the client handles, and
    // the sandbox stopping a script in a previewed HTML file.
    // An inline event handler in an authored file is refused by the page's policy even while
    // DOMPurify parses the file in an inert document (Chromium checks the policy as it parses).
    const expected = /Failed to load resource: the server responded with a status of (401|404|409|412)|Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed|Executing inline event handler violates the following Content Security Policy directive/;
    if (msg.type() === 'error' && !expected.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return {
    page,
    context,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/web/<name>.png and answers its path. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  // The caret blinks and live times change: neither is what a screenshot is about.
  await page.screenshot({ path, fullPage: true, caret: 'hide', animations: 'disabled' });
  return path;
}

/** The id of the focused element ("" when none): focus management is part of what is tested. */
export async function activeId(page: Page): Promise<string> {
  return (await page.evaluate('document.activeElement ? document.activeElement.id : ""')) as string;
}

/** naturalWidth of the first image matching `selector` (0 until it has decoded). */
export async function imageWidth(page: Page, selector: string): Promise<number> {
  return (await page.evaluate(`(document.querySelector(${JSON.stringify(selector)}) || { naturalWidth: 0 }).naturalWidth`)) as number;
}

const A11Y_CHECK = readFileSync(new URL('./a11y-check.js', import.meta.url), 'utf8');

/**
 * Every control on screen has an accessible name (label, aria-label or text), links have text,
 * and the screen has exactly one <h1>: answers what is wrong, empty when all is well. The check
 * runs in the page (plain JS: the tests are type-checked without the DOM library).
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return (await page.evaluate(A11Y_CHECK)) as string[];
}

const AXE = readFileSync(new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

/** One axe-core finding, as the tests report it. */
export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * axe-core (Deque's accessibility engine) run over the page as it is: the serious and critical
 * violations, empty when there are none. axe is evaluated through the DevTools protocol, which
 * the page's Content-Security-Policy does not govern, so the client's policy stays as it is.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = (await page.evaluate('typeof window.axe !== "undefined"')) as boolean;
  if (!loaded) await page.evaluate(AXE);
  return (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  })()`)) as AxeViolation[];
}
