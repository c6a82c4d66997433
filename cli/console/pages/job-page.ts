import { type Html, html } from '../html.js';
import type { Job } from '../jobs.js';
import { type PageContext, page } from './layout.js';

const STATE_TEXT: Record<Job['state'], string> = {
  running: 'running',
  succeeded: 'done',
  failed: 'did not finish as asked',
};

/** The part of a job's page that refreshes until the job ends (`data-final` stops the refresh). */
export function jobLive(job: Job): Html {
  const { progress } = job;
  return html`<p class="job-state state-${job.state}"${job.state === 'running' ? '' : html` data-final`}>Status: <strong>${STATE_TEXT[job.state]}</strong></p>
${
  progress
    ? html`<p>${progress.total === undefined ? html`<progress></progress>` : html`<progress max="${progress.total}" value="${Math.min(progress.done, progress.total)}"></progress>`}
<span class="progress-text">${progress.done}${progress.total === undefined ? '' : ` of ${progress.total}`} ${progress.label}</span></p>`
    : ''
}
${job.lines.length > 0 ? html`<ul class="job-lines">${job.lines.map((line) => html`<li>${line}</li>`)}</ul>` : ''}
${job.state === 'running' ? '' : html`<p class="buttons">${job.links.map((link) => html`<a class="button secondary" href="${link.href}">${link.label}</a> `)}</p>`}`;
}

/** A job's page: what it is, its progress while it runs, then what it did. */
export function jobPage(context: PageContext, job: Job, refreshMs: number): Html {
  return page(
    context,
    job.title,
    undefined,
    html`<div id="job-live" data-live="job/live?id=${job.id}" data-every="${refreshMs}" aria-live="polite">${jobLive(job)}</div>
<p class="live-status" data-live-status="job-live"></p>`,
  );
}
