import { FsError, type SwapOp } from '../contract.js';
import type { Effect, Mutation } from '../engine/mutations.js';

/**
 * One message on a shard connection: a JSON header and binary parts (file contents), so file
 * bytes are never base64'd. Layout: u32 header length | header JSON | u32 part count |
 * per part an i32 length (-1 = null) | part bytes.
 */
export interface Frame<H = Record<string, unknown>> {
  header: H;
  parts: (Buffer | null)[];
}

export function encodeFrame(header: object, parts: readonly (Buffer | null)[] = []): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(json.length, 0);
  const table = Buffer.allocUnsafe(4 + 4 * parts.length);
  table.writeUInt32BE(parts.length, 0);
  parts.forEach((part, i) => table.writeInt32BE(part === null ? -1 : part.length, 4 + 4 * i));
  return Buffer.concat([head, json, table, ...parts.filter((part): part is Buffer => part !== null)]);
}

export function decodeFrame(data: Buffer): Frame {
  if (data.length < 8) throw new FsError('EINVAL', 'truncated frame');
  const headerLength = data.readUInt32BE(0);
  if (4 + headerLength + 4 > data.length) throw new FsError('EINVAL', 'truncated frame header');
  const header = JSON.parse(data.subarray(4, 4 + headerLength).toString('utf8')) as unknown;
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FsError('EINVAL', 'frame header must be an object');
  let offset = 4 + headerLength;
  const count = data.readUInt32BE(offset);
  offset += 4;
  if (offset + 4 * count > data.length) throw new FsError('EINVAL', 'truncated part table');
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) lengths.push(data.readInt32BE(offset + 4 * i));
  offset += 4 * count;
  const parts: (Buffer | null)[] = [];
  for (const length of lengths) {
    if (length < 0) {
      parts.push(null);
      continue;
    }
    if (offset + length > data.length) throw new FsError('EINVAL', 'truncated part');
    parts.push(data.subarray(offset, offset + length));
    offset += length;
  }
  return { header: header as Record<string, unknown>, parts };
}

// ---- mutations and effects: metadata in the header, bytes in the parts ---------------------

export type WireMutation =
  | { op: 'writeFile'; path: string; mode?: number }
  | { op: 'mkdir'; path: string; recursive: boolean }
  | { op: 'rmdir'; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'rm'; path: string; recursive: boolean; force: boolean }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'cas'; paths: string[] }
  | { op: 'createExclusive'; path: string }
  | { op: 'part'; path: string; offset: number }
  | { op: 'rename'; from: string; to: string }
  | { op: 'destroy' };

export function encodeMutation(m: Mutation): { mutation: WireMutation; parts: (Buffer | null)[] } {
  switch (m.op) {
    case 'writeFile':
      return { mutation: { op: 'writeFile', path: m.path, ...(m.mode === undefined ? {} : { mode: m.mode }) }, parts: [m.data] };
    case 'createExclusive':
      return { mutation: { op: 'createExclusive', path: m.path }, parts: [m.data] };
    case 'part':
      return { mutation: { op: 'part', path: m.path, offset: m.offset }, parts: [m.data] };
    case 'cas':
      return {
        mutation: { op: 'cas', paths: m.ops.map((o) => o.path) },
        parts: m.ops.flatMap((o) => [o.expected === null ? null : Buffer.from(o.expected), o.next === null ? null : Buffer.from(o.next)]),
      };
    default:
      return { mutation: m, parts: [] };
  }
}

function field<T>(value: unknown, check: (v: unknown) => v is T, what: string): T {
  if (!check(value)) throw new FsError('EINVAL', `malformed request: ${what}`);
  return value;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isOffset = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function bytes(parts: (Buffer | null)[], i: number): Buffer {
  const part = parts[i];
  if (part === undefined || part === null) throw new FsError('EINVAL', 'malformed request: missing file data');
  return part;
}

/** Rebuilds a mutation from the network, trusting nothing: every field is type-checked. */
export function decodeMutation(raw: unknown, parts: (Buffer | null)[]): Mutation {
  if (typeof raw !== 'object' || raw === null) throw new FsError('EINVAL', 'malformed request: mutation');
  const w = raw as Record<string, unknown>;
  const path = () => field(w.path, isString, 'path');
  switch (w.op) {
    case 'writeFile': {
      const mode = w.mode === undefined ? undefined : field(w.mode, (v): v is number => Number.isInteger(v), 'mode');
      return { op: 'writeFile', path: path(), data: bytes(parts, 0), ...(mode === undefined ? {} : { mode }) };
    }
    case 'createExclusive':
      return { op: 'createExclusive', path: path(), data: bytes(parts, 0) };
    case 'part':
      return { op: 'part', path: path(), offset: field(w.offset, isOffset, 'offset'), data: bytes(parts, 0) };
    case 'rename':
      return { op: 'rename', from: field(w.from, isString, 'from'), to: field(w.to, isString, 'to') };
    case 'mkdir':
      return { op: 'mkdir', path: path(), recursive: field(w.recursive, isBoolean, 'recursive') };
    case 'rmdir':
      return { op: 'rmdir', path: path() };
    case 'unlink':
      return { op: 'unlink', path: path() };
    case 'rm':
      return { op: 'rm', path: path(), recursive: field(w.recursive, isBoolean, 'recursive'), force: field(w.force, isBoolean, 'force') };
    case 'symlink':
      return { op: 'symlink', path: path(), target: field(w.target, isString, 'target') };
    case 'cas': {
      const paths = field(w.paths, isStringArray, 'paths');
      if (parts.length !== paths.length * 2) throw new FsError('EINVAL', 'malformed request: swap values');
      const ops: SwapOp[] = paths.map((p, i) => ({ path: p, expected: parts[2 * i] ?? null, next: parts[2 * i + 1] ?? null }));
      return { op: 'cas', ops };
    }
    case 'destroy':
      return { op: 'destroy' };
    default:
      throw new FsError('EINVAL', `unknown mutation ${String(w.op)}`);
  }
}

export type WireEffect = Exclude<Effect, { kind: 'put' | 'part' }> | { kind: 'put'; path: string; mode?: number } | { kind: 'part'; path: string; offset: number };

export function encodeEffects(effects: readonly Effect[]): { effects: WireEffect[]; parts: Buffer[] } {
  const parts: Buffer[] = [];
  const wire = effects.map((e): WireEffect => {
    if (e.kind === 'put') {
      parts.push(e.data);
      return { kind: 'put', path: e.path, ...(e.mode === undefined ? {} : { mode: e.mode }) };
    }
    if (e.kind === 'part') {
      parts.push(e.data);
      return { kind: 'part', path: e.path, offset: e.offset };
    }
    return e;
  });
  return { effects: wire, parts };
}

export function decodeEffects(raw: unknown, parts: (Buffer | null)[]): Effect[] {
  if (!Array.isArray(raw)) throw new FsError('EINVAL', 'malformed request: effects');
  let next = 0;
  return raw.map((value: unknown): Effect => {
    const e = value as Record<string, unknown>;
    const path = () => field(e.path, isString, 'effect path');
    switch (e.kind) {
      case 'put': {
        const mode = typeof e.mode === 'number' ? e.mode : undefined;
        return { kind: 'put', path: path(), data: bytes(parts, next++), ...(mode === undefined ? {} : { mode }) };
      }
      case 'part':
        return { kind: 'part', path: path(), offset: field(e.offset, isOffset, 'effect offset'), data: bytes(parts, next++) };
      case 'rename':
        return { kind: 'rename', from: field(e.from, isString, 'effect from'), to: field(e.to, isString, 'effect to') };
      case 'unlink':
      case 'mkdir':
      case 'rmdir':
      case 'rm':
        return { kind: e.kind, path: path() };
      case 'symlink':
        return { kind: 'symlink', path: path(), target: field(e.target, isString, 'effect target') };
      case 'destroy':
        return { kind: 'destroy' };
      default:
        throw new FsError('EINVAL', `unknown effect ${String(e.kind)}`);
    }
  });
}
