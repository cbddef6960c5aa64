import type { ResourceInit } from '../../webmachine/index.js';
import { JsonResource, jsonBody } from '../http/json-resource.js';

/** GET /openapi.json: the OpenAPI 3.1 description generated from the route table. */
export class OpenApiResource extends JsonResource {
  constructor(
    init: ResourceInit,
    private readonly document: Record<string, unknown>,
    private readonly etag: string,
  ) {
    super(init);
  }

  override generateEtag(): string {
    return this.etag;
  }

  override cacheControl(): string {
    return 'no-cache';
  }

  protected override toJson(): string {
    return jsonBody(this.document);
  }
}
