import mime from 'mime-types';
import { z } from 'zod';
import { andThen, type ContentTypesAccepted, type ContentTypesProvided, Halt, halt, type Maybe, Memo, SizedBody } from '../../webmachine/index.js';
import type { FileContent, FolderContent } from '../domain/index.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { oidSchema, personSchema, responseSchemas } from '../http/api-schemas.js';
import { failureHalt } from '../http/domain-failures.js';
import { IMMUTABLE, isCommitId, urlPath } from '../http/caching.js';

/** The JSON of kept folders (see folderJson): gone with the folder. */
const listings = new WeakMap<FolderContent, { commit: string | undefined; text: string }>();

/** Files larger than this are streamed from storage rather than read whole into memory. */
const STREAM_FROM_BYTES = 1024 * 1024;
const IDENTITY_ONLY: readonly string[] = ['identity'];

/** Metadata of a file, offered beside its bytes; a JSON file's own type cannot double as it. */
export const FILE_METADATA_TYPE = 'application/vnd.content-repo.file+json';

const modeSchema = z.enum(['100644', '100755', '120000', '160000', '040000']);

export const fileSchema = z
  .object({
    path: z.string(),
    type: z.enum(['file', 'symlink', 'submodule']),
    id: oidSchema.describe('The blob id (the bytes\' ETag)'),
    size: z.number().int().min(0),
    mode: modeSchema,
    mediaType: z.string(),
    commit: oidSchema.describe('The commit the file was read at'),
    lastCommit: z.object({ id: oidSchema, message: z.string(), author: personSchema }).nullable().describe('The last commit that changed it'),
    links: z.object({ raw: z.string() }),
  })
  .register(responseSchemas, { id: 'File' });

export const folderSchema = z
  .object({
    path: z.string(),
    type: z.literal('folder'),
    id: oidSchema.describe('The tree id (the listing\'s ETag)'),
    commit: oidSchema,
    entries: z.array(
      z.object({ name: z.string(), path: z.string(), type: z.enum(['file', 'folder', 'symlink', 'submodule']), id: oidSchema, mode: modeSchema, size: z.number().int().min(0).optional() }),
    ),
  })
  .register(responseSchemas, { id: 'Folder' });

/** application/json at a path: a folder's listing or a file's metadata, except that a file whose own type is JSON answers its bytes. */
export const fileOrFolderSchema = z
  .union([fileSchema, folderSchema, z.unknown().describe('A .json file\'s own bytes (its metadata: application/vnd.content-repo.file+json)')])
  .register(responseSchemas, { id: 'FileOrFolder' });

export const writtenFileSchema = z
  .object({ path: z.string(), id: oidSchema.nullable().describe('The new blob id'), commit: oidSchema, links: z.object({ commit: z.string() }) })
  .register(responseSchemas, { id: 'WrittenFile' });

export function mediaTypeOf(path: string): string {
  const type = mime.lookup(path);
  return type === false ? 'application/octet-stream' : (mime.contentType(type) || type);
}

/**
 * /repos/{repo}/contents/{path}: a file's bytes (ETag = blob id, ranges, Content-Type from the
 * name) or its metadata, a folder's listing (ETag = tree id); PUT writes one file in one commit,
 * DELETE removes it in one commit. If-Match "<blob id>" and If-None-Match: * are checked by the
 * engine and again, atomically, by the commit itself.
 */
export class ContentsResource extends ApiResource {
  private content: FileContent | FolderContent | undefined;
  private commit: string | undefined;
  private commitTime: Date | undefined;

  private get repo(): string {
    return this.request.params.repo ?? '';
  }

  private get path(): string {
    return this.request.params.path ?? '';
  }

  private mediaTypeMemo: string | undefined;

  /** The type the file's name gives its bytes (asked at C3 and again for the ETag). */
  private get mediaType(): string {
    return (this.mediaTypeMemo ??= mediaTypeOf(this.path));
  }

  private get isRead(): boolean {
    return this.request.method === 'GET' || this.request.method === 'HEAD';
  }

  /** GET reads ?ref= (default branch when absent); writes act on ?branch=. */
  private get ref(): string | undefined {
    return (this.isRead ? this.request.query.get('ref') : this.request.query.get('branch')) ?? undefined;
  }

  override allowedMethods(): string[] {
    // The root folder is only read; files are written at their own paths.
    if (this.path === '') return ['GET', 'HEAD', 'OPTIONS'];
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
  }

  private readonly loaded = new Memo<boolean | Halt>();

  /**
   * Loaded once, before negotiation needs it: whether the path is a file or a folder decides the
   * media types offered at C3/C4, which come before resource_exists (G7) in the flow. Once
   * loaded, answered synchronously (a promise per callback costs a warm read CPU).
   */
  private load(): Maybe<boolean | Halt> {
    return this.loaded.get(() => this.fetch());
  }

  override resourceExists(): Maybe<boolean | Halt> {
    return this.load();
  }

  private fetch(): Maybe<boolean | Halt> {
    return andThen(this.api.service.readPath(this.repo, { ref: this.ref, path: this.path }), (found) => {
      if (found.ok) {
        this.content = found.content;
        this.commit = found.commit;
        this.commitTime = new Date(found.committedAt * 1000);
        return true;
      }
      // A write may create the path, and on an empty repository the branch too.
      if (found.reason === 'not-found' && (found.what === 'path' || (!this.isRead && (found.what === 'ref' || found.what === 'branch')))) return false;
      return failureHalt(found);
    });
  }

  override contentTypesProvided(): Maybe<ContentTypesProvided | Halt> {
    return andThen(this.load(), (loaded) => (loaded instanceof Halt ? loaded : this.typesProvided()));
  }

  private typesProvided(): ContentTypesProvided {
    if (this.content?.type === 'folder') return [['application/json', () => this.folderJson()]];
    const raw = this.mediaType;
    const file = this.content as FileContent;
    // A large file is streamed (and its ranges read) without ever being held whole.
    const bytes = (): Buffer | Promise<Buffer> | SizedBody => (file.size > STREAM_FROM_BYTES ? new SizedBody(file.size, (start, end) => file.open(start, end)) : file.bytes());
    const types: [string, () => Buffer | string | SizedBody | Promise<Buffer | string>][] = [[raw, bytes]];
    if (!raw.startsWith('application/json')) types.push(['application/json', () => this.fileJson()]);
    types.push([FILE_METADATA_TYPE, () => this.fileJson()]);
    return types;
  }

  /** A streamed (large) file goes as stored: compressing it per request would cost a core for what is usually compressed media. */
  override encodingsProvided(): readonly string[] {
    // F6 comes after C3, which loaded the content.
    return this.content !== undefined && this.content.type !== 'folder' && this.content.size > STREAM_FROM_BYTES ? IDENTITY_ONLY : super.encodingsProvided();
  }

  override acceptRanges(): boolean {
    return this.content !== undefined && this.content.type !== 'folder';
  }

  override generateEtag(): string | undefined {
    if (this.content === undefined) return undefined;
    // Writes are conditional on the stored object; metadata is another representation (and
    // names the commit), so it must not share the bytes' strong tag.
    const metadata = this.isRead && this.content.type !== 'folder' && !this.chosen.mediaType?.startsWith(this.mediaType.split(';')[0]!);
    return metadata ? `${this.content.oid}.${this.commit}` : this.content.oid;
  }

  override lastModified(): Date | undefined {
    return this.commitTime;
  }

  override cacheControl(): string {
    return isCommitId(this.ref) ? IMMUTABLE : 'no-cache';
  }

  override isConflict(): boolean | Halt {
    if (this.content?.type === 'folder') return halt(409, { detail: `${this.path || '/'} is a folder; write the files inside it.` });
    return false;
  }

  override contentTypesAccepted(): ContentTypesAccepted {
    // The body is the file's bytes, whatever their type.
    return [['*/*', () => this.write(false)]];
  }

  override deleteResource(): Promise<boolean | Halt> | Halt {
    if (this.content?.type === 'folder') return halt(409, { detail: `${this.path || '/'} is a folder; delete the files inside it.` });
    return this.write(true);
  }

  private expectedBlob(): { path: string; expectedBlob: string | null }[] {
    if (this.request.header('if-match') !== undefined && this.content !== undefined) return [{ path: this.path, expectedBlob: this.content.oid }];
    if (this.request.header('if-none-match')?.trim() === '*') return [{ path: this.path, expectedBlob: null }];
    return [];
  }

  private async write(remove: boolean): Promise<boolean | Halt> {
    if (this.path === '') return halt(400, { detail: 'A file path is required.' });
    const bytes = remove ? undefined : await this.request.body();
    const message = this.request.query.get('message') ?? `${remove ? 'Delete' : this.content === undefined ? 'Create' : 'Update'} ${this.path}`;
    const branch = this.ref ?? (await this.defaultBranch());
    if (branch instanceof Halt) return branch;
    const result = await this.api.service.commitChanges(this.repo, {
      branch,
      message,
      changes: [remove ? { path: this.path, delete: true } : { path: this.path, content: bytes! }],
      preconditions: this.expectedBlob(),
      ...this.writer,
    });
    if (!result.ok) return failureHalt(result);
    const commit = result.commit.id;
    const blob = remove ? null : (result.files.find((f) => f.path === this.path)?.blob ?? null);
    if (!remove) {
      if (blob !== null) this.response.setHeader('ETag', `"${blob}"`);
      this.response.setHeader('Content-Type', 'application/json');
      const written: z.output<typeof writtenFileSchema> = { path: this.path, id: blob, commit, links: { commit: `/repos/${this.repo}/commits/${commit}` } };
      this.response.body = jsonBody(written);
    }
    return true;
  }

  private async defaultBranch(): Promise<string | Halt> {
    const repo = await this.api.service.getRepository(this.repo);
    return repo.ok ? repo.repository.defaultBranch : failureHalt(repo);
  }

  private async fileJson(): Promise<string> {
    const file = this.content as FileContent;
    const last = await this.api.service.lastCommitFor(this.repo, { ref: this.ref, path: this.path });
    return jsonBody(fileBody({
      path: file.path,
      type: file.type,
      id: file.oid,
      size: file.size,
      mode: file.mode,
      mediaType: mediaTypeOf(file.path),
      commit: this.commit!,
      lastCommit: last.ok && last.commit !== null ? { id: last.commit.id, message: last.commit.message, author: last.commit.author } : null,
      links: { raw: `/repos/${this.repo}/contents/${urlPath(file.path)}?ref=${this.commit}` },
    }));
  }

  private folderJson(): string {
    const folder = this.content as FolderContent;
    const listed = listings.get(folder);
    if (listed !== undefined && listed.commit === this.commit) return listed.text;
    const text = this.folderText(folder);
    // A kept folder (frozen) is shared by later reads: its text can be too.
    if (Object.isFrozen(folder)) listings.set(folder, { commit: this.commit, text });
    return text;
  }

  private folderText(folder: FolderContent): string {
    return jsonBody(folderBody({
      path: folder.path,
      type: 'folder',
      id: folder.oid,
      commit: this.commit!,
      entries: folder.entries.map((e) => ({ name: e.name, path: e.path, type: e.type, id: e.oid, mode: e.mode, ...(e.size === undefined ? {} : { size: e.size }) })),
    }));
  }
}

/** The compiler holds a file's and a folder's JSON to their schemas. */
const fileBody = (body: z.output<typeof fileSchema>) => body;
const folderBody = (body: z.output<typeof folderSchema>) => body;
