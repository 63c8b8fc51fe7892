// @ts-check
/**
 * Builds elements from data without innerHTML, so IDs and tags a device owner chose can never
 * become markup.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | EventListener | undefined>} [attributes]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'object' ? child : String(child));
  }
  return element;
}

/**
 * A table of rows; `empty` is shown when there are none.
 * @template T
 * @param {string[]} headings
 * @param {readonly T[]} rows
 * @param {(row: T) => (Node | string | number | null)[]} cells
 * @param {string} empty
 * @param {string} [testId]
 */
export function table(headings, rows, cells, empty, testId) {
  if (rows.length === 0) return h('p', { class: 'empty', 'data-testid': testId }, empty);
  return h(
    'table',
    { 'data-testid': testId },
    h('thead', {}, h('tr', {}, ...headings.map((t) => h('th', {}, t)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...cells(row).map((c) => h('td', {}, c))))),
  );
}

/**
 * "3 min 20 s", "2 h 5 min", "4 d 1 h": how long something has lasted.
 * @param {number} seconds
 */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** @param {string | null | undefined} iso */
export function since(iso) {
  if (!iso || iso.startsWith('0001-')) return 'never';
  return `${duration((Date.now() - Date.parse(iso)) / 1000)} ago`;
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso || iso.startsWith('0001-')) return '—';
  return new Date(iso).toLocaleString();
}

/** Why a device went silent, as the alert and the liveness entry say it. @param {string} reason */
export function reasonText(reason) {
  return reason === 'disconnected' ? 'disconnected' : 'heartbeat missed';
}

/** A link to a device's detail view. @param {string} deviceId */
export function deviceLink(deviceId) {
  return h('a', { href: `#/devices/${encodeURIComponent(deviceId)}` }, deviceId);
}

/**
 * A form field's text ('' when absent).
 * @param {EventTarget | null} form
 * @param {string} name
 */
export function field(form, name) {
  const value = new FormData(/** @type {HTMLFormElement} */ (form)).get(name);
  return typeof value === 'string' ? value : '';
}
