/** Authors, committers, taggers and messages as git stores them. */
import type { ServiceDeps } from './deps.js';
import { invalid, type Invalid, type Person, type PersonInput } from './types.js';

// Characters that would break the "Name <email> time tz" header line of a commit or tag.
const HEADER_BREAKERS = /[<>\n\r\0]/;

export function validatePerson(input: PersonInput | undefined, role: string): Invalid | null {
  if (input === undefined) return null;
  if (typeof input.name !== 'string' || input.name.trim() === '' || HEADER_BREAKERS.test(input.name)) {
    return invalid('person', `${role} name must be non-empty and contain no <, >, newline or NUL`);
  }
  if (typeof input.email !== 'string' || HEADER_BREAKERS.test(input.email)) {
    return invalid('person', `${role} email must contain no <, >, newline or NUL`);
  }
  // git's object checks refuse a date before 1970 (it would not parse as an unsigned number).
  if (input.timestamp !== undefined && !(Number.isSafeInteger(input.timestamp) && input.timestamp >= 0)) {
    return invalid('person', `${role} timestamp must be a whole number of seconds since 1970`);
  }
  if (input.timezoneOffset !== undefined && (!Number.isInteger(input.timezoneOffset) || Math.abs(input.timezoneOffset) > 24 * 60)) {
    return invalid('person', `${role} timezoneOffset must be minutes within a day`);
  }
  return null;
}

/**
 * The given person, else the signed-in actor (a user's name and address, or a token's name with
 * the service's no-reply address), else the service's default person: an edit made without
 * naming an author is still credited to whoever made it.
 */
export function person(deps: ServiceDeps, input: PersonInput | undefined, actor?: string, actorEmail?: string): Person {
  const at = Math.floor(deps.now().getTime() / 1000);
  if (input === undefined) {
    const named = actor !== undefined && actor !== 'anonymous' && actor.trim() !== '' && !HEADER_BREAKERS.test(actor);
    const addressed = named && actorEmail !== undefined && actorEmail !== '' && !HEADER_BREAKERS.test(actorEmail);
    return { ...deps.defaultPerson, ...(named ? { name: actor } : {}), ...(addressed ? { email: actorEmail } : {}), timestamp: at, timezoneOffset: 0 };
  }
  return { name: input.name, email: input.email, timestamp: input.timestamp ?? at, timezoneOffset: input.timezoneOffset ?? 0 };
}

/**
 * git's cleanup (no leading blank lines, no trailing whitespace, one final newline) plus what
 * isomorphic-git's commit writer does anyway (drops every CR): the message we return is the
 * message stored. Empty is refused.
 */
export function normalizeMessage(message: unknown): string | Invalid {
  if (typeof message !== 'string') return invalid('message', 'a message is required');
  const cleaned = message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\s+$/, '');
  if (cleaned.trim() === '') return invalid('message', 'a message is required');
  if (cleaned.includes('\0')) return invalid('message', 'NUL in message');
  return `${cleaned}\n`;
}
