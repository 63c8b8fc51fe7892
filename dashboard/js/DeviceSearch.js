// @ts-check
import { deviceLink, field, h, since, table } from './dom.js';
import { View } from './View.js';

/** @param {string} text */
const literal = (text) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The IoT Hub query a search means: an ID prefix, or `key=value` on a tag. Throws an Error that
 * says what to fix.
 * @param {'prefix' | 'tag'} mode
 * @param {string} text
 */
export function searchQuery(mode, text) {
  const value = text.trim();
  if (mode === 'prefix')
    return value === ''
      ? 'SELECT * FROM devices'
      : `SELECT * FROM devices WHERE STARTSWITH(deviceId, ${literal(value)})`;
  const match = /^([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)\s*=\s*(.*)$/.exec(value);
  if (!match)
    throw new Error('Search tags as key=value, for example site=plant-1 or location.floor=2');
  const [, key, raw = ''] = match;
  const number = Number(raw);
  const operand =
    raw.trim() !== '' && Number.isFinite(number) ? String(number) : literal(raw.trim());
  return `SELECT * FROM devices WHERE tags.${key} = ${operand}`;
}

/** Devices by ID prefix or tag, as twins from POST /devices/query. */
export class DeviceSearch extends View {
  refreshMs = 0;
  mode = /** @type {'prefix' | 'tag'} */ ('prefix');
  text = '';

  frame() {
    return [
      h(
        'form',
        {
          class: 'search',
          onsubmit: (event) => {
            event.preventDefault();
            this.mode = field(event.target, 'mode') === 'tag' ? 'tag' : 'prefix';
            this.text = field(event.target, 'text');
            void this.refresh();
          },
        },
        h(
          'select',
          { name: 'mode', 'aria-label': 'Search by' },
          h('option', { value: 'prefix' }, 'ID starts with'),
          h('option', { value: 'tag' }, 'Tag key=value'),
        ),
        h('input', {
          name: 'text',
          type: 'search',
          placeholder: 'sensor- or site=plant-1',
          'aria-label': 'Search',
        }),
        h('button', { type: 'submit' }, 'Search'),
      ),
    ];
  }

  /** @param {import('./api.js').RegistryApi} api */
  async load(api) {
    let query;
    try {
      query = searchQuery(this.mode, this.text);
    } catch (error) {
      return [h('p', { class: 'error', role: 'alert' }, /** @type {Error} */ (error).message)];
    }
    /** @type {any[]} */
    const twins = await api.query(query, 100);
    return [
      h('p', { class: 'muted' }, h('code', {}, query)),
      table(
        ['Device', 'Status', 'Connection', 'Last activity', 'Tags'],
        twins,
        (t) => [
          deviceLink(t.deviceId),
          t.status,
          t.connectionState,
          since(t.lastActivityTime),
          t.tags && Object.keys(t.tags).length > 0 ? h('code', {}, JSON.stringify(t.tags)) : '',
        ],
        'No device matches.',
        'search-results',
      ),
    ];
  }
}
customElements.define('device-search', DeviceSearch);
