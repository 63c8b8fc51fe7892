// @ts-check
import { duration, h } from './dom.js';
import { View } from './View.js';

/** Online / silent / never seen / disabled counts, and how far behind the event pipeline is. */
export class FleetSummary extends View {
  /** @param {import('./api.js').RegistryApi} api */
  async load(api) {
    const [summary, statistics] = await Promise.all([api.livenessSummary(), api.statistics()]);
    /** @param {string} label @param {number} value @param {string} kind */
    const card = (label, value, kind) =>
      h(
        'div',
        { class: `card ${kind}`, 'data-testid': `count-${kind}` },
        h('span', { class: 'value' }, value.toLocaleString()),
        h('span', { class: 'label' }, label),
      );
    const lag = summary.pipelineLagSeconds;
    return [
      h(
        'div',
        { class: 'cards' },
        card('online', summary.counts.online, 'online'),
        card('silent', summary.counts.silent, 'silent'),
        card('never seen', summary.counts.neverSeen, 'neverSeen'),
        card('disabled', statistics.disabledDeviceCount, 'disabled'),
        card('devices', statistics.totalDeviceCount, 'total'),
      ),
      h(
        'p',
        { class: 'muted' },
        lag === null || lag === undefined
          ? 'No events processed yet.'
          : `Events processed up to ${duration(lag)} behind the newest. Updated ${new Date(summary.at).toLocaleTimeString()}.`,
      ),
    ];
  }
}
customElements.define('fleet-summary', FleetSummary);
