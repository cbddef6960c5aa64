import { isWellFormedText } from '../git/index.js';
import type { ZodType } from 'zod';
import { type ContentTypesProvided, halt, type Halt, type Outcome, Resource } from '../../webmachine/index.js';

/**
 * Base of every JSON resource: JSON out (gzip/br when asked), JSON in validated by a
 * zod schema, and one way to turn a bad body into a 400 problem.
 */
export abstract class JsonResource extends Resource {
  override contentTypesProvided(): Outcome<ContentTypesProvided> {
    return [['application/json', () => this.toJson()]];
  }

  override allowedMethods(): readonly string[] {
    return ['GET', 'HEAD', 'OPTIONS'];
  }

  override encodingsProvided(): readonly string[] {
    return ['identity', 'gzip', 'br'];
  }

  /** The JSON representation for GET; resources that serve one override it. */
  protected toJson(): Outcome<string> {
    return '{}';
  }

  /** The body parsed as JSON and checked against the schema, or the 400 that explains why not. */
  protected async readJson<T>(schema: ZodType<T>): Promise<T | Halt> {
    // PUT bodies are checked by the accept helper; POST (process_post) has no such node, so the
    // Content-Type is checked here, before a byte of the body is read.
    const type = (this.request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      return halt(415, { detail: 'Send the body as application/json.', accepted: ['application/json'] });
    }
    const raw = await this.request.body();
    let text: string;
    try {
      text = UTF8.decode(raw);
    } catch {
      return halt(400, { detail: 'The body is not valid UTF-8.' });
    }
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? {} : JSON.parse(text);
    } catch (err) {
      return halt(400, { detail: `The body is not valid JSON: ${(err as Error).message}` });
    }
    const illFormed = illFormedTextAt(parsed);
    if (illFormed !== null) {
      return halt(400, { detail: `The body holds text that is not well-formed Unicode (a lone surrogate escape) at ${illFormed || '(root)'}.` });
    }
    const result = schema.safeParse(parsed);
    if (result.success) return result.data;
    const errors = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return halt(400, { detail: `The body does not match the expected shape: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`, errors });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Where parsed JSON holds a string (or key) with a lone surrogate ("\ud800" is valid JSON but no
 * text: it has no UTF-8 form), as a dotted path; null when every string is well-formed. Walked
 * without recursion, so no nesting depth can exhaust the stack.
 */
function illFormedTextAt(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [item, path] = stack.pop() as [unknown, string];
    if (typeof item === 'string') {
      if (!isWellFormedText(item)) return path;
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, `${path}[${i}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (!isWellFormedText(key)) return path;
        stack.push([child, path === '' ? key : `${path}.${key}`]);
      }
    }
  }
  return null;
}

export function jsonBody(value: unknown): string {
  return JSON.stringify(value);
}
