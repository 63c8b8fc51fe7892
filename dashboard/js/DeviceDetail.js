// @ts-check
import { ApiError } from './api.js';
import { duration, h, reasonText, since, table, when } from './dom.js';
import { View } from './View.js';
import './AlertTimeline.js';

/** @param {[string, Node | string | number | null | undefined][]} rows */
const facts = (rows) =>
  h('dl', {}, ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value ?? '—')]));

/**
 * One device: its identity (authentication type, never the keys), modules, tags, liveness and
 * its alerts.
 */
export class DeviceDetail extends View {
  /** @param {import('./api.js').RegistryApi} api */
  async load(api) {
    const deviceId = this.getAttribute('device-id') ?? '';
    let device;
    try {
      device = await api.device(deviceId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404)
        return [
          h('h2', {}, deviceId),
          h('p', { class: 'error', role: 'alert' }, `No device '${deviceId}' in the registry.`),
        ];
      throw error;
    }
    const [twin, modules, liveness] = await Promise.all([
      api.twin(deviceId),
      api.modules(deviceId),
      api.deviceLiveness(deviceId),
    ]);
    const alerts = /** @type {HTMLElement} */ (document.createElement('alert-timeline'));
    alerts.setAttribute('device-id', deviceId);
    // Redrawn with this view, so it needs no timer of its own.
    Object.assign(alerts, { api, refreshMs: 0 });
    return [
      h('h2', { 'data-testid': 'device-title' }, deviceId),
      h(
        'section',
        { class: 'columns' },
        h(
          'div',
          { 'data-testid': 'identity' },
          h('h3', {}, 'Identity'),
          facts([
            ['Status', h('span', { class: `badge ${device.status}` }, device.status)],
            ['Status reason', device.statusReason || null],
            ['Authentication', device.authentication?.type ?? null],
            ['Edge', device.capabilities?.iotEdge ? 'yes' : 'no'],
            ['Connection', device.connectionState],
            ['Last activity', since(device.lastActivityTime)],
            ['Generation', h('code', {}, device.generationId)],
            ['ETag', h('code', {}, device.etag)],
            [
              'Modules',
              modules.length === 0
                ? 'none'
                : modules.map((/** @type {any} */ m) => m.moduleId).join(', '),
            ],
            [
              'Tags',
              twin.tags && Object.keys(twin.tags).length > 0
                ? h('code', {}, JSON.stringify(twin.tags))
                : 'none',
            ],
          ]),
        ),
        h(
          'div',
          { 'data-testid': 'liveness' },
          h('h3', {}, 'Liveness'),
          liveness
            ? facts([
                [
                  'State',
                  h(
                    'span',
                    { class: `badge ${liveness.state}`, 'data-testid': 'liveness-state' },
                    liveness.state,
                  ),
                ],
                ['Since', `${when(liveness.stateSince)} (${since(liveness.stateSince)})`],
                ['Why silent', liveness.silentReason ? reasonText(liveness.silentReason) : null],
                [
                  'Hub connection',
                  liveness.connection
                    ? h(
                        'span',
                        { 'data-testid': 'hub-connection' },
                        `${liveness.connection.state} ${when(liveness.connection.at)} (${since(liveness.connection.at)})`,
                      )
                    : 'no connection events',
                ],
                ['Last seen', since(liveness.lastSeen)],
                ['Last heartbeat', since(liveness.lastHeartbeat)],
                [
                  'Expected every',
                  `${duration(liveness.intervalSeconds)} × ${liveness.graceFactor} (${liveness.intervalSource})`,
                ],
                ['Silent after', when(liveness.deadline)],
              ])
            : h('p', { class: 'empty' }, 'Never seen by the liveness monitor.'),
        ),
      ),
      modules.length > 0
        ? table(
            ['Module', 'Authentication', 'Connection'],
            modules,
            (/** @type {any} */ m) => [m.moduleId, m.authentication?.type ?? '', m.connectionState],
            '',
          )
        : '',
      alerts,
    ];
  }
}
customElements.define('device-detail', DeviceDetail);
