import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CharsetsProvided, ContentTypesProvided } from '../../webmachine/index.js';
import { responseSchemas } from '../http/api-schemas.js';
import { JsonResource, jsonBody } from '../http/json-resource.js';
import { isProblemName, PROBLEM_TYPES, type ProblemName, problemType } from '../http/problem-types.js';

export const problemTypeSchema = z
  .object({
    type: z.string().describe('The `type` URI problems of this kind carry'),
    name: z.string(),
    status: z.number().int(),
    title: z.string(),
    means: z.string(),
    action: z.string(),
  })
  .register(responseSchemas, { id: 'ProblemType' });

export const problemTypesSchema = z.object({ problems: z.array(problemTypeSchema) }).register(responseSchemas, { id: 'ProblemTypeList' });

function entry(name: ProblemName): z.infer<typeof problemTypeSchema> {
  return { type: problemType(name), name, ...PROBLEM_TYPES[name] };
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** `code` spans of the catalogue's text as <code>. */
const inline = (text: string): string => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

/** Problem pages are the same for everyone and change only with a release. */
abstract class ProblemPage extends JsonResource {
  override contentTypesProvided(): ContentTypesProvided {
    return [
      ['text/html', () => this.html()],
      ['application/json', () => this.toJson()],
    ];
  }

  override charsetsProvided(): CharsetsProvided {
    return [['utf-8', (body) => body]];
  }

  override generateEtag(): string {
    return createHash('sha1').update(this.toJson()).digest('hex');
  }

  override cacheControl(): string {
    return 'public, max-age=3600';
  }

  protected abstract html(): string;
  protected abstract override toJson(): string;
}

/** GET /problems: every problem type the API answers. */
export class ProblemTypesResource extends ProblemPage {
  protected html(): string {
    const rows = (Object.keys(PROBLEM_TYPES) as ProblemName[])
      .map((name) => `<li><a href="${problemType(name)}">${escape(name)}</a> (${PROBLEM_TYPES[name].status}): ${escape(PROBLEM_TYPES[name].title)}</li>`)
      .join('\n');
    return page('Problem types', `<h1>Problem types</h1>\n<p>Every error of the API is <code>application/problem+json</code> whose <code>type</code> is one of these.</p>\n<ul>\n${rows}\n</ul>`);
  }

  protected override toJson(): string {
    return jsonBody({ problems: (Object.keys(PROBLEM_TYPES) as ProblemName[]).map(entry) });
  }
}

/** GET /problems/{name}: what one problem type means and what to do about it. */
export class ProblemTypeResource extends ProblemPage {
  private get name(): string {
    return this.request.params.name ?? '';
  }

  override resourceExists(): boolean {
    return isProblemName(this.name);
  }

  protected html(): string {
    const p = entry(this.name as ProblemName);
    return page(
      p.title,
      `<h1>${escape(p.title)}</h1>\n<p>Status <strong>${p.status}</strong>, <code>type</code> <code>${escape(p.type)}</code>.</p>\n<h2>What it means</h2>\n<p>${inline(p.means)}</p>\n<h2>What to do</h2>\n<p>${inline(p.action)}</p>\n<p><a href="/problems">All problem types</a></p>`,
    );
  }

  protected override toJson(): string {
    return jsonBody(entry(this.name as ProblemName));
  }
}
