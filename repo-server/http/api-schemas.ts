/**
 * The zod schemas the API's bodies are described by. Request bodies are validated with the same
 * schemas (JsonResource.readJson); answers are built as their output types, so the compiler holds
 * each resource to its schema, and the API tests check every observed answer against the JSON
 * Schema generated from them (/openapi.json). A schema becomes `components/schemas/<id>` by being
 * registered in one of the two registries: requests are described as zod reads them (defaults
 * optional), answers as the service writes them.
 */
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';

export interface SchemaMeta {
  id: string;
  description?: string;
}

export const requestSchemas = z.registry<SchemaMeta>();
export const responseSchemas = z.registry<SchemaMeta>();

/** An object id: 40 hex digits. */
export const oidSchema = z.string().regex(/^[0-9a-f]{40}$/);

export const timestampSchema = z.string().describe('RFC 3339 date and time (UTC)');

/** A commit's author, committer or a tag's tagger, as git stores them. */
export const personSchema = z
  .object({
    name: z.string(),
    email: z.string(),
    timestamp: z.number().int().describe('Seconds since 1970-01-01 UTC'),
    timezoneOffset: z.number().int().describe('Minutes, as git stores them (negative east of UTC)'),
  })
  .register(responseSchemas, { id: 'Person' });

/** RFC 9457 problem details; `type` is one of GET /problems. Extension members vary by problem. */
export const problemSchema = z
  .looseObject({
    type: z.string().regex(/^\/problems\/[a-z-]+$/).describe('A page of this service: GET it for what the problem means and what to do'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
  })
  .register(responseSchemas, { id: 'Problem', description: 'RFC 9457 problem details; extension members (errors, conflicts, current, ...) depend on the problem type' });

export const roleSchema = z.enum(ROLES);
export const grantsSchema = z
  .object({
    global: roleSchema.optional(),
    repos: z.record(z.string(), roleSchema).optional(),
  })
  .register(responseSchemas, { id: 'Grants' });
