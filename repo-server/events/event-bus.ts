import type { RefEventSink, RefUpdatedEvent } from '../git/index.js';
import { EventEmitter } from 'node:events';

/**
 * In-process fan-out of ref updates. Every ref change calls publish() after the swap is durable;
 * the WebSocket endpoint and cross-front-end relays subscribe here.
 */
export class EventBus implements RefEventSink {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: RefUpdatedEvent): void {
    this.emitter.emit('ref-updated', event);
  }

  subscribe(listener: (event: RefUpdatedEvent) => void): () => void {
    this.emitter.on('ref-updated', listener);
    return () => this.emitter.off('ref-updated', listener);
  }
}
