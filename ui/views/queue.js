// The job queue: one row per voice-over with its stage, a progress bar, the time
// left and a cancel button; failures show the error and a retry button, warnings
// (low disk or memory: the job goes on) a note.

import { h, iconButton, ICONS } from '../dom.js';
import { errorNodes } from '../errors.js';
import { baseName, formatEta } from '../format.js';


/**
 * Builds the queue in `container`. Callbacks receive a job id.
 * Returns `upsert(record)`, `apply(id, jobEvent)`, `select(id)`, `remove(id)` and `name(id)`.
 */
export function createQueueView(container, { t, onOpen, onCancel, onRetry, onRemove }) {
  const doc = container.ownerDocument;
  const list = h(doc, 'ul', { class: 'queue-list' });
  const empty = h(doc, 'p', { class: 'empty', text: t('queue.empty') });
  container.replaceChildren(
    h(doc, 'header', { class: 'panel-header' }, h(doc, 'h2', { class: 'panel-title', text: t('queue.title') })),
    h(doc, 'div', { class: 'panel-body' }, empty, list),
  );
  /** id → { record, stage, fraction, eta, error, warning, row }; `error` is a message or a `CommandError`. */
  const jobs = new Map();
  let selected = null;

  function render(job) {
    const { record } = job;
    const status = record.status;
    const running = status === 'running';
    const label = running
      ? t(`stage.${job.stage ?? 'queued'}`)
      : t(`status.${status}`);
    const percent = Math.round((running ? job.fraction : status === 'done' ? 1 : job.fraction) * 100);
    const row = h(
      doc,
      'li',
      {
        class: `job${selected === record.id ? ' selected' : ''}`,
        'data-job': record.id,
        'data-status': status,
        'data-stage': job.stage ?? '',
        title: record.input,
      },
      h(
        doc,
        'div',
        { class: 'job-head' },
        h(doc, 'button', {
          class: 'job-name',
          text: record.name,
          disabled: status !== 'done',
          onClick: () => onOpen(record.id),
        }),
        record.origin &&
          h(doc, 'span', { class: 'badge job-auto', title: t('queue.autoTitle', { folder: record.origin }), text: t('queue.auto') }),
        record.script &&
          h(doc, 'span', { class: 'badge job-script', title: t('queue.scriptTitle', { name: baseName(record.script) }), text: t('queue.script') }),
        running && iconButton(doc, t('queue.cancel'), ICONS.close, () => onCancel(record.id), 'job-cancel'),
        ['failed', 'cancelled', 'interrupted'].includes(status) &&
          iconButton(doc, t('queue.retry'), ICONS.refresh, () => onRetry(record.id), 'job-retry'),
        !running && iconButton(doc, t('queue.remove'), ICONS.remove, () => onRemove(record.id), 'job-remove'),
      ),
      h(
        doc,
        'div',
        { class: 'job-meta' },
        h(doc, 'span', { class: 'job-stage', text: label }),
        h(doc, 'span', { class: 'job-eta', text: running ? formatEta(job.eta) : '' }),
      ),
      h(
        doc,
        'div',
        {
          class: 'progress',
          role: 'progressbar',
          'aria-valuemin': '0',
          'aria-valuemax': '100',
          'aria-valuenow': String(percent),
        },
        h(doc, 'div', { class: 'progress-fill', style: null, 'data-percent': String(percent) }),
      ),
      job.warning && h(doc, 'p', { class: 'job-warning', role: 'status', text: job.warning }),
      job.error && h(doc, 'p', { class: 'job-error' }, typeof job.error === 'string' ? job.error : errorNodes(doc, job.error, t)),
    );
    // The CSP forbids inline style attributes but allows CSSOM writes.
    row.querySelector('.progress-fill').style.width = `${percent}%`;
    if (job.row) job.row.replaceWith(row);
    else list.prepend(row);
    job.row = row;
    empty.hidden = jobs.size > 0;
  }

  return Object.freeze({
    upsert(record) {
      const job = jobs.get(record.id) ?? { fraction: 0 };
      // A retried job starts over; a running one announced twice (its command's
      // answer and the app-wide `job-added`) keeps its progress.
      if (record.status === 'running' && job.record?.status !== 'running') {
        job.stage = undefined;
        job.fraction = 0;
        job.warning = null;
      }
      job.record = record;
      job.error = record.error ?? null;
      jobs.set(record.id, job);
      render(job);
    },
    apply(id, event) {
      const job = jobs.get(id);
      if (!job) return;
      if (event.event === 'stage') job.stage = event.stage;
      else if (event.event === 'progress') {
        job.fraction = event.fraction;
        job.eta = event.etaSeconds ?? undefined;
      } else if (event.event === 'done') job.record = { ...job.record, status: 'done' };
      else if (event.event === 'cancelled') job.record = { ...job.record, status: 'cancelled' };
      else if (event.event === 'warning') job.warning = event.message ?? '';
      else if (event.event === 'failed') {
        job.record = { ...job.record, status: 'failed' };
        job.error = event.error ?? '';
      }
      render(job);
    },
    remove(id) {
      jobs.get(id)?.row?.remove();
      jobs.delete(id);
      empty.hidden = jobs.size > 0;
    },
    /** The job's file name, for notices. */
    name: (id) => jobs.get(id)?.record.name ?? '',
    select(id) {
      selected = id;
      for (const job of jobs.values()) job.row?.classList.toggle('selected', job.record.id === id);
    },
  });
}
