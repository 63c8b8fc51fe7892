// @ts-check
import { h } from './dom.js';

/**
 * A part of the page that reads from the API and redraws itself every `refreshMs` while it is
 * on the page. Subclasses implement `load()` (returns the nodes to show).
 */
export class View extends HTMLElement {
  /** @type {import('./api.js').RegistryApi | undefined} */
  api;
  refreshMs = 5000;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  timer;
  loading = false;
  /** A redraw asked for while one was under way: it runs right after, so the latest ask wins. */
  again = false;
  /** What `load()` draws goes here; `frame()` (drawn once) sits above it. */
  body = document.createElement('div');

  connectedCallback() {
    if (this.body.parentNode !== this) this.replaceChildren(...this.frame(), this.body);
    void this.refresh();
  }

  /**
   * Nodes drawn once, above what refreshes (a form keeps what the operator typed).
   * @returns {Node[]}
   */
  frame() {
    return [];
  }

  disconnectedCallback() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Redraws now, then again after `refreshMs` while connected. */
  async refresh() {
    clearTimeout(this.timer);
    if (!this.api) return;
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      const nodes = await this.load(this.api);
      this.body.replaceChildren(...nodes);
      this.removeAttribute('data-error');
    } catch (error) {
      this.setAttribute('data-error', '');
      const message = error instanceof Error ? error.message : String(error);
      this.body.replaceChildren(h('p', { class: 'error', role: 'alert' }, message));
      if (/** @type {{ status?: number }} */ (error).status === 401)
        this.dispatchEvent(new CustomEvent('unauthorized', { bubbles: true, detail: message }));
    } finally {
      this.loading = false;
      this.setAttribute('data-loaded', String(Date.now()));
    }
    if (this.again) {
      this.again = false;
      void this.refresh();
    } else if (this.isConnected && this.refreshMs > 0)
      this.timer = setTimeout(() => void this.refresh(), this.refreshMs);
  }

  /**
   * @param {import('./api.js').RegistryApi} _api
   * @returns {Promise<(Node | string)[]>}
   */
  load(_api) {
    return Promise.resolve([]);
  }
}
