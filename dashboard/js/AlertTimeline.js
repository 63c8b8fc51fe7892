// @ts-check
import { deviceLink, duration, h, reasonText, when } from './dom.js';
import { View } from './View.js';

/** Recent silent/recovered alerts, newest first; one device's when `device-id` is set. */
export class AlertTimeline extends View {
  /** @param {import('./api.js').RegistryApi} api */
  async load(api) {
    const deviceId = this.getAttribute('device-id') ?? undefined;
    /** @type {any[]} */
    const alerts = await api.alerts({ deviceId, top: 50 });
    if (alerts.length === 0)
      return [
        h('h2', {}, 'Alerts'),
        h('p', { class: 'empty', 'data-testid': 'alerts' }, 'No alerts yet.'),
      ];
    return [
      h('h2', {}, 'Alerts'),
      h(
        'ol',
        { class: 'timeline', 'data-testid': 'alerts' },
        ...alerts.map((a) =>
          h(
            'li',
            { class: a.kind },
            h('time', { datetime: a.at }, when(a.at)),
            h('span', { class: `badge ${a.kind}` }, a.kind),
            deviceLink(a.deviceId),
            a.moduleId ? ` / ${a.moduleId}` : '',
            a.kind === 'silent' && a.reason
              ? h('span', { class: 'muted' }, ` (${reasonText(a.reason)})`)
              : '',
            a.kind === 'recovered' && a.outageSeconds !== undefined
              ? h(
                  'span',
                  { class: 'muted' },
                  ` after ${duration(a.outageSeconds)} ${a.reason === 'disconnected' ? 'disconnected' : 'of silence'}`,
                )
              : '',
          ),
        ),
      ),
    ];
  }
}
customElements.define('alert-timeline', AlertTimeline);
