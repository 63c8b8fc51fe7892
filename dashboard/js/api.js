// @ts-check
/**
 * The registry's own HTTP API, as the SDKs call it: every read the dashboard makes goes through
 * it with the operator's token (the page has no privileged path of its own).
 */

export const API_VERSION = '2021-04-12';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class RegistryApi {
  /** @param {{ token(): Promise<string> }} tokens */
  constructor(tokens) {
    this.tokens = tokens;
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, headers?: Record<string, string> }} [options]
   * @returns {Promise<{ body: any, headers: Headers }>}
   */
  async call(method, path, options = {}) {
    const url = new URL(path, location.origin);
    url.searchParams.set('api-version', API_VERSION);
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          Authorization: await this.tokens.token(),
          ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch {
      throw new ApiError(0, 'The registry is unreachable: is the service running?');
    }
    const text = await response.text();
    /** @type {any} */
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    if (!response.ok) throw new ApiError(response.status, messageOf(body, response.status));
    return { body, headers: response.headers };
  }

  /** @param {string} path */
  get(path) {
    return this.call('GET', path).then((r) => r.body);
  }

  statistics() {
    return this.get('/statistics/devices');
  }

  livenessSummary() {
    return this.get('/liveness/summary');
  }

  /** @param {'silent' | 'online' | 'neverSeen'} state @param {number} top */
  liveness(state, top) {
    return this.get(`/liveness?state=${state}&top=${top}`);
  }

  /** @param {{ deviceId?: string, top?: number }} [filter] newest first */
  alerts(filter = {}) {
    const q = new URLSearchParams({ order: 'newest', top: String(filter.top ?? 50) });
    if (filter.deviceId) q.set('deviceId', filter.deviceId);
    return this.get(`/liveness/alerts?${q}`);
  }

  /** @param {string} query IoT Hub query language @param {number} top */
  async query(query, top) {
    const { body } = await this.call('POST', '/devices/query', {
      body: { query },
      headers: { 'x-ms-max-item-count': String(top) },
    });
    return body;
  }

  /** @param {string} deviceId */
  device(deviceId) {
    return this.get(`/devices/${encodeURIComponent(deviceId)}`);
  }

  /** @param {string} deviceId */
  twin(deviceId) {
    return this.get(`/twins/${encodeURIComponent(deviceId)}`);
  }

  /** @param {string} deviceId */
  modules(deviceId) {
    return this.get(`/devices/${encodeURIComponent(deviceId)}/modules`);
  }

  /** @param {string} deviceId */
  deviceLiveness(deviceId) {
    return this.get(`/devices/${encodeURIComponent(deviceId)}/liveness`).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    });
  }

  jobs() {
    return this.get('/jobs');
  }

  /** @param {string} containerUri @param {boolean} excludeKeys */
  startExport(containerUri, excludeKeys) {
    return this.call('POST', '/jobs/create', {
      body: {
        type: 'export',
        outputBlobContainerUri: containerUri,
        excludeKeysInExport: excludeKeys,
      },
    }).then((r) => r.body);
  }
}

/** @param {any} body @param {number} status */
function messageOf(body, status) {
  const raw = typeof body === 'object' && body !== null ? (body.Message ?? body.message) : body;
  if (typeof raw === 'string' && raw !== '') {
    // IoT Hub wraps its message in JSON: {"Message":"ErrorCode:…;why", …}.
    try {
      const inner = JSON.parse(raw);
      if (typeof inner?.Message === 'string') return inner.Message.replace(/^ErrorCode:[^;]*;/, '');
    } catch {
      /* plain text */
    }
    return raw.replace(/^ErrorCode:[^;]*;/, '');
  }
  return `The registry answered ${status}`;
}
