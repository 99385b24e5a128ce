// The real app killed mid-export and started again (issue: restart safety), in two
// phases that scripts/e2e-app.sh runs with their own tauri-driver each, on one data folder:
//
//   kill    The driver (and so the app and its engine) has VSL_FAULT=stall:export: the
//           export stops once its temporary MP4 exists. The test imports jfk.wav, edits
//           the first slide, exports, waits for the `.part` file and SIGKILLs the app.
//   resume  A plain driver starts the app again: the job comes back interrupted with the
//           reason, the half-written file is gone, Retry exports the edited deck, without
//           transcribing again, into one whole MP4, and no temporary file is left anywhere.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  click, closeSession, find, inSession, openSession, probeDuration, report, run, screenshot, step,
  until, waitFor,
} from './webdriver.mjs';

const PHASE = process.argv[2];
const APP = process.env.VSL_APP_BIN;
const AUDIO = process.env.VSL_E2E_AUDIO;
const EXPORT_DIR = process.env.VSL_TEST_PICK_FOLDER;
const SHOTS = process.env.VSL_SCREENSHOTS;
const EDITED = 'Kept across the kill';
const PIPELINE_LIMIT_MS = Number(process.env.VSL_E2E_LIMIT_MS ?? 300_000);

/** Every file under `dir` (recursively), as paths relative to it. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)));
}

/** The temporary names an atomic write uses (`.<name>.XXXXXX.part`), anywhere under `dir`. */
const tempsUnder = (dir) => filesUnder(dir).filter((file) => /(^|\/)\.[^/]+\.part$/.test(file));

/** The pids of the app's processes: [the window's], [its engine workers']. */
function appProcesses() {
  const binary = realpathSync(APP);
  const [windows, workers] = [[], []];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let exe;
    let args;
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    if (exe !== binary) continue;
    (args.includes('--engine-worker') ? workers : windows).push(Number(pid));
  }
  return [windows, workers];
}

/** The log lines written since the app's last start. */
function logSinceStart() {
  const dir = path.join(process.env.VSL_DATA_DIR, 'logs');
  const lines = readdirSync(dir)
    .filter((name) => /^vsl-studio\..*log$/.test(name))
    .sort()
    .flatMap((name) => readFileSync(path.join(dir, name), 'utf8').split('\n'));
  const start = lines.findLastIndex((line) => /VSL Studio .* starting/.test(line));
  return lines.slice(start);
}

async function kill() {
  await step('a job is exported and the app is killed while the MP4 is half-written', async () => {
    await waitFor('the header version', 'return !document.getElementById("app-version").hidden');
    await run('return window.__TAURI__.event.emit("tauri://drag-drop", { paths: arguments[0], position: { x: 40, y: 40 } })', [AUDIO]);
    await waitFor(
      'the job to finish',
      'const job = document.querySelector(".job"); ' +
        'if (job?.dataset.status === "failed") throw new Error(job.querySelector(".job-error")?.textContent); ' +
        'return job?.dataset.status === "done" && document.querySelectorAll("#strip .thumb img").length > 0',
      PIPELINE_LIMIT_MS,
    );
    const field = await find('#slide-text');
    await inSession('POST', `/element/${field}/clear`, {});
    await inSession('POST', `/element/${field}/value`, { text: EDITED });
    await click('#apply-text');
    await waitFor('the edit', 'return document.querySelector("#strip .thumb-button").title === arguments[0]', 30_000, EDITED);
    await click('#export');
    const [part] = await until(
      'the half-written MP4',
      () => {
        // With bytes in it: an empty temporary file a few seconds old may be a live writer's
        // that it has just made, which the restart rightly leaves alone.
        const found = tempsUnder(EXPORT_DIR).filter(
          (file) => /\.mp4\.[^./]+\.part$/.test(file) && statSync(path.join(EXPORT_DIR, file), { throwIfNoEntry: false })?.size > 0,
        );
        return found.length ? found : null;
      },
      120_000,
    );
    assert.ok(part, 'the stalled export left its temporary MP4');
    await screenshot(SHOTS, 'e2e-restart-exporting.png');
    const [windows, workers] = appProcesses();
    assert.equal(windows.length, 1, `one app window process (${windows})`);
    assert.ok(workers.length >= 1, 'the engine works in its own process');
    process.kill(windows[0], 'SIGKILL');
    // The engine dies with the app (PR_SET_PDEATHSIG): nothing finishes the file behind its back.
    await until('the app and its engine to be gone', () => appProcesses().flat().length === 0, 10_000);
    assert.ok(existsSync(path.join(EXPORT_DIR, part)), `${part} is left half-written by the kill`);
    assert.ok(!filesUnder(EXPORT_DIR).some((file) => file.endsWith('.mp4') && !file.startsWith('.')), 'and no MP4 was finished');
    console.log(`e2e: killed app ${windows[0]} (engine ${workers}) with ${part} half-written`);
  });
}

async function resume() {
  await step('the restarted app shows the job interrupted, and its half-written file is gone', async () => {
    await waitFor('the header version', 'return !document.getElementById("app-version").hidden');
    const error = await waitFor(
      'the interrupted job',
      'const job = document.querySelector(".job"); return job?.dataset.status === "interrupted" && job.querySelector(".job-error")?.textContent',
    );
    assert.match(error, /export/i, `the row says what stopped (${error})`);
    assert.ok(await run('return document.querySelector(".job .job-retry") !== null'), 'with a Retry button');
    assert.deepEqual(tempsUnder(EXPORT_DIR), [], 'the killed run\'s temporary files are swept at start');
    await screenshot(SHOTS, 'e2e-restart-interrupted.png');
  });

  await step('Retry exports the edited deck into one whole MP4 without transcribing again', async () => {
    await click('.job .job-retry');
    await waitFor(
      'the retried export',
      'const job = document.querySelector(".job"); ' +
        'if (job.dataset.status === "failed") throw new Error(job.querySelector(".job-error")?.textContent); ' +
        'return job.dataset.status === "done"',
      120_000,
    );
    const outputs = filesUnder(EXPORT_DIR).filter((file) => file.endsWith('.mp4'));
    assert.deepEqual(outputs, ['jfk.mp4'], 'one MP4, under its own name');
    const seconds = probeDuration(path.join(EXPORT_DIR, 'jfk.mp4'));
    assert.ok(Math.abs(seconds - 11) < 0.3, `it lasts as long as jfk.wav (${seconds} s)`);
    const srt = readFileSync(path.join(EXPORT_DIR, 'jfk.srt'), 'utf8');
    assert.ok(srt.includes(EDITED), 'the export has the edit made before the kill');
    for (const dir of [EXPORT_DIR, process.env.VSL_CACHE_DIR, process.env.VSL_DATA_DIR]) {
      assert.deepEqual(tempsUnder(dir), [], `no temporary file is left under ${dir}`);
    }
    const log = logSinceStart();
    assert.ok(log.some((line) => /exporting again to/.test(line)), 'the retry ran the export');
    assert.ok(!log.some((line) => /job \S+ started:/.test(line)), `and not the pipeline: ${log.filter((line) => /started/.test(line))}`);
    await screenshot(SHOTS, 'e2e-restart-retried.png');
  });
}

async function main() {
  assert.ok(['kill', 'resume'].includes(PHASE), `usage: restart.e2e.mjs kill|resume (got ${PHASE})`);
  assert.ok(APP && existsSync(APP), `VSL_APP_BIN must name the built app (got ${APP})`);
  await openSession(APP);
  try {
    await (PHASE === 'kill' ? kill() : resume());
  } finally {
    await closeSession();
  }
}

report(`app-restart-e2e (${PHASE})`, main);
