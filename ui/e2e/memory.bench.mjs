// Benchmark, not a test: the webview's memory with an hour-long deck open (issue: the
// webview stays at or under 300 MB with 600 slides). scripts/bench-webview-memory.sh makes
// the job (600 rendered slides, 60 minutes of audio) and starts tauri-driver; this opens the
// job, plays with it as a maker would (scrolls the whole strip, end to end and back, opens
// slides along the way, seeks the player) and prints the peak resident memory (VmHWM) of
// each of the app's processes: the app, its WebKit web and network processes.

import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { closeSession, openSession, report, run, step, waitFor } from './webdriver.mjs';

const APP = process.env.VSL_APP_BIN;
const SLIDES = Number(process.env.VSL_BENCH_SLIDES ?? 600);

/** `name: kB` lines of /proc/PID/status, as numbers. */
function status(pid) {
  const fields = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const [key, value] = line.split(':');
    if (value?.trim().endsWith('kB')) fields[key] = Number.parseInt(value, 10);
  }
  return fields;
}

/** The app's window process and everything under it: pid → [name, parent]. */
function appTree() {
  const binary = realpathSync(APP);
  const table = new Map();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      let exe = '';
      try {
        exe = readlinkSync(`/proc/${pid}/exe`);
      } catch {}
      const engine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--engine-worker');
      table.set(Number(pid), { name, parent, app: exe === binary && !engine });
    } catch {}
  }
  const root = [...table].find(([, process]) => process.app)?.[0];
  const tree = new Map();
  const visit = (pid) => {
    tree.set(pid, table.get(pid).name);
    for (const [child, process] of table) if (process.parent === pid) visit(child);
  };
  if (root) visit(root);
  return tree;
}

function memory() {
  return [...appTree()].map(([pid, name]) => ({ pid, name, ...status(pid) }));
}

/** Prints each process's peak and present memory, `when` it was read; returns the readings. */
function printMemory(when) {
  const processes = memory();
  const mb = (kb) => Math.round(kb / 1024);
  for (const process of processes) {
    console.log(
      `bench: ${when}: ${process.name} (${process.pid}): peak ${mb(process.VmHWM)} MB; now ${mb(process.VmRSS)} MB ` +
        `(${mb(process.RssAnon)} MB its own, ${mb(process.RssFile + process.RssShmem)} MB files and shared memory)`,
    );
  }
  return processes;
}

async function main() {
  await openSession(APP);
  try {
    await step(`the job with ${SLIDES} slides opens`, async () => {
      await waitFor('the job', 'return document.querySelector(".job .job-name:not([disabled])") !== null', 60_000);
      await run('document.querySelector(".job .job-name").click()');
      await waitFor('thumbnails', 'return document.querySelectorAll("#strip .thumb img").length > 0', 120_000);
      // The player's rendition of the hour is made once, on first open.
      await waitFor('the audio', 'const player = document.getElementById("player"); return player.readyState >= 1 && player.duration > 0', 300_000);
      console.log(`bench: the player reads ${await run('return document.getElementById("player").currentSrc.split(":")[0]')}`);
      const count = await run('return document.querySelectorAll("#strip .thumb").length');
      console.log(`bench: the strip holds ${count} of ${SLIDES} thumbnails`);
      printMemory('opened');
    });

    await step('the whole strip is scrolled, end to end and back, opening slides on the way', async () => {
      const width = await run('return document.getElementById("strip").scrollWidth');
      const view = await run('return document.getElementById("strip").clientWidth');
      for (const direction of [1, -1]) {
        for (let left = direction > 0 ? 0 : width; direction > 0 ? left <= width : left >= 0; left += direction * view) {
          await run('const strip = document.getElementById("strip"); strip.scrollLeft = arguments[0];', left);
          await waitFor(
            'the thumbnails in view',
            // A broken image is `complete` too: a thumbnail that did not load fails the bench.
            'const imgs = [...document.querySelectorAll("#strip .thumb img")]; ' +
              'const broken = imgs.find((img) => img.complete && img.naturalWidth === 0); ' +
              'if (broken) throw new Error(`thumbnail did not load: ${broken.src}`); ' +
              'return imgs.every((img) => img.complete)',
            30_000,
          );
          await run('document.querySelector("#strip .thumb:nth-child(3) .thumb-button")?.click()');
        }
      }
      await run('const player = document.getElementById("player"); player.currentTime = player.duration - 5;');
    });

    await step('peak memory of the app\'s processes (printed)', async () => {
      const processes = printMemory('at the end');
      const web = processes.find((process) => process.name.startsWith('WebKitWebProces'));
      if (!web) throw new Error(`no WebKit web process under the app: ${processes.map((process) => process.name)}`);
      console.log(`bench: webview peak ${Math.round(web.VmHWM / 1024)} MB with ${SLIDES} slides`);
    });
  } finally {
    await closeSession();
  }
}

report('webview-memory', main);
