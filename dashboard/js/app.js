// @ts-check
import { RegistryApi } from './api.js';
import { TokenSource, forget, parseCredential, remember, remembered } from './credential.js';
import { field, h } from './dom.js';
import './AlertTimeline.js';
import './DeviceDetail.js';
import './DeviceSearch.js';
import './FleetSummary.js';
import './JobList.js';
import './SilentDevices.js';

/** @typedef {import('./credential.js').Credential} Credential */

/**
 * The dashboard: a sign-in form until the operator gives a credential the registry accepts,
 * then the fleet, device and job views, chosen by the URL's hash (#/, #/devices, #/devices/ID,
 * #/jobs) so each view has a link of its own.
 */
class IotDashboard extends HTMLElement {
  /** @type {RegistryApi | null} */
  api = null;
  /** @type {Credential | null} */
  credential = null;

  connectedCallback() {
    this.addEventListener('unauthorized', (event) =>
      this.signOut(/** @type {CustomEvent<string>} */ (event).detail),
    );
    window.addEventListener('hashchange', () => this.route());
    const saved = remembered();
    if (saved) this.signIn(saved);
    else this.showSignIn();
  }

  /** @param {string} [reason] */
  showSignIn(reason) {
    const error = h(
      'p',
      { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' },
      reason ?? '',
    );
    const form = h(
      'form',
      {
        class: 'sign-in',
        onsubmit: (event) => {
          event.preventDefault();
          void this.submitSignIn(field(event.target, 'credential'), error);
        },
      },
      h('h1', {}, 'IoT identity registry'),
      h(
        'label',
        { for: 'credential' },
        'Connection string of a shared access policy (iothubowner, registryRead, …) or a SharedAccessSignature',
      ),
      h('textarea', {
        id: 'credential',
        name: 'credential',
        rows: 4,
        required: true,
        autocomplete: 'off',
        spellcheck: 'false',
        placeholder: 'HostName=localhost;SharedAccessKeyName=iothubowner;SharedAccessKey=…',
      }),
      h('button', { type: 'submit' }, 'Sign in'),
      error,
      h(
        'p',
        { class: 'muted' },
        'Kept in this browser tab only (session storage) and sent to no one: the page signs short-lived tokens with it and reads through the same API the SDKs use.',
      ),
    );
    this.replaceChildren(h('main', { class: 'centered' }, form));
  }

  /**
   * Checks the credential against the registry before keeping it: a wrong key is refused here.
   * @param {string} text
   * @param {HTMLElement} error
   */
  async submitSignIn(text, error) {
    error.textContent = '';
    try {
      const credential = parseCredential(text);
      await new RegistryApi(new TokenSource(credential)).statistics();
      this.signIn(credential);
    } catch (e) {
      error.textContent = /** @type {Error} */ (e).message;
    }
  }

  /** @param {Credential} credential */
  signIn(credential) {
    this.credential = credential;
    this.api = new RegistryApi(new TokenSource(credential));
    remember(credential);
    this.route();
  }

  /** @param {string} [reason] */
  signOut(reason) {
    forget();
    this.api = null;
    this.credential = null;
    this.showSignIn(reason);
  }

  route() {
    if (!this.api || !this.credential) return;
    const hash = location.hash.replace(/^#\/?/, '');
    const [section = '', id] = hash.split('/');
    /** @param {string} tag @param {Record<string, string>} [attributes] */
    const view = (tag, attributes = {}) => {
      const element = document.createElement(tag);
      for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
      Object.assign(element, { api: this.api });
      return element;
    };
    let content;
    if (section === 'devices' && id)
      content = [view('device-detail', { 'device-id': decodeURIComponent(id) })];
    else if (section === 'devices') content = [h('h2', {}, 'Devices'), view('device-search')];
    else if (section === 'jobs') content = [view('job-list')];
    else
      content = [
        view('fleet-summary'),
        h('div', { class: 'columns' }, view('silent-devices'), view('alert-timeline')),
      ];
    /** @param {string} href @param {string} label @param {boolean} current */
    const link = (href, label, current) =>
      h('a', { href, 'aria-current': current ? 'page' : undefined }, label);
    const who =
      this.credential.kind === 'policy'
        ? `${this.credential.keyName} @ ${this.credential.hostName}`
        : `token ${this.credential.keyName}`;
    this.replaceChildren(
      h(
        'header',
        {},
        h('strong', {}, 'IoT identity registry'),
        h(
          'nav',
          {},
          link('#/', 'Fleet', section === ''),
          link('#/devices', 'Devices', section === 'devices'),
          link('#/jobs', 'Jobs', section === 'jobs'),
        ),
        h('span', { class: 'muted', 'data-testid': 'signed-in-as' }, who),
        h('button', { type: 'button', class: 'link', onclick: () => this.signOut() }, 'Sign out'),
      ),
      h('main', {}, ...content),
    );
  }
}
customElements.define('iot-dashboard', IotDashboard);
