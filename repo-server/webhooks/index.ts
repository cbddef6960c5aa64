export { Webhooks, type HookChange, type HookInput } from './hooks.js';
export { WebhookDispatcher, type DispatcherOptions } from './dispatcher.js';
export { REPOSITORY_EVENTS, SERVICE_EVENTS, WEBHOOK_EVENTS, type DeliveryRecord, type HookRecord, type Scope, type Stores, type WebhookEvent } from './model.js';
export { signature } from './payloads.js';
export { parseAllowList, type AllowList } from './url-guard.js';
