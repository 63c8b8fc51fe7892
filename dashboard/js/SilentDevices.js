// @ts-check
import { deviceLink, duration, h, reasonText, since, table } from './dom.js';
import { View } from './View.js';

/**
 * The identities that went silent, longest silent first, with why (heartbeats stopped, or the
 * hub saw the connection drop) and the interval they missed.
 */
export class SilentDevices extends View {
  /** @param {import('./api.js').RegistryApi} api */
  async load(api) {
    /** @type {any[]} */
    const silent = await api.liveness('silent', 200);
    silent.sort((a, b) => Date.parse(a.stateSince) - Date.parse(b.stateSince));
    return [
      h('h2', {}, `Silent (${silent.length}${silent.length === 200 ? '+' : ''})`),
      table(
        ['Device', 'Module', 'Silent for', 'Why', 'Expected every', 'Last seen'],
        silent,
        (r) => [
          deviceLink(r.deviceId),
          r.moduleId ?? '',
          h(
            'span',
            { title: r.stateSince },
            duration((Date.now() - Date.parse(r.stateSince)) / 1000),
          ),
          reasonText(r.silentReason),
          `${duration(r.intervalSeconds)} × ${r.graceFactor} (${r.intervalSource})`,
          since(r.lastSeen),
        ],
        'No device is silent.',
        'silent-list',
      ),
    ];
  }
}
customElements.define('silent-devices', SilentDevices);
