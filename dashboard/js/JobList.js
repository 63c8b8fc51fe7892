// @ts-check
import { field, h, table, when } from './dom.js';
import { View } from './View.js';

const RUNNING = ['enqueued', 'running'];

/** Import and export jobs with their progress; starts an export into a container the operator names. */
export class JobList extends View {
  message = h('p', { role: 'status', 'data-testid': 'job-message' });

  frame() {
    const form = h(
      'form',
      {
        class: 'export',
        onsubmit: (event) => {
          event.preventDefault();
          void this.startExport(/** @type {HTMLFormElement} */ (event.target));
        },
      },
      h(
        'label',
        {},
        'Blob container SAS URI ',
        h('input', {
          name: 'container',
          type: 'url',
          required: true,
          placeholder: 'https://account.blob.core.windows.net/exports?sv=…',
        }),
      ),
      h(
        'label',
        {},
        h('input', { name: 'excludeKeys', type: 'checkbox', checked: true }),
        ' without keys',
      ),
      h('button', { type: 'submit' }, 'Start export'),
    );
    return [h('h2', {}, 'Jobs'), form, this.message];
  }

  /** @param {HTMLFormElement} form */
  async startExport(form) {
    if (!this.api) return;
    try {
      const job = await this.api.startExport(
        field(form, 'container').trim(),
        field(form, 'excludeKeys') === 'on',
      );
      this.message.textContent = `Export ${job.jobId} started.`;
      this.message.className = '';
    } catch (error) {
      this.message.textContent = `Not started: ${/** @type {Error} */ (error).message}`;
      this.message.className = 'error';
    }
    void this.refresh();
  }

  /** @param {import('./api.js').RegistryApi} api */
  async load(api) {
    /** @type {any[]} */
    const jobs = await api.jobs();
    jobs.sort((a, b) => String(b.startTimeUtc).localeCompare(String(a.startTimeUtc)));
    // Poll quickly only while something moves.
    this.refreshMs = jobs.some((j) => RUNNING.includes(j.status)) ? 1000 : 10_000;
    return [
      table(
        ['Job', 'Type', 'Status', 'Progress', 'Started', 'Ended', ''],
        jobs,
        (j) => [
          h('code', {}, j.jobId),
          j.type,
          h('span', { class: `badge ${j.status}`, 'data-testid': 'job-status' }, j.status),
          h(
            'span',
            { class: 'progress' },
            h('progress', { max: 100, value: j.progress ?? 0 }),
            ` ${j.progress ?? 0}%`,
          ),
          when(j.startTimeUtc),
          when(j.endTimeUtc),
          j.failureReason ?? '',
        ],
        'No jobs yet.',
        'job-list',
      ),
    ];
  }
}
customElements.define('job-list', JobList);
