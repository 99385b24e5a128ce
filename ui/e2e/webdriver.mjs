// What the end-to-end tests share: a minimal W3C WebDriver client over fetch (no npm
// dependencies beyond the app's own), the test's steps and their report, and ffprobe.
// One session at a time: `openSession` starts the app, `closeSession` ends it.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const DRIVER = process.env.WEBDRIVER_URL ?? 'http://127.0.0.1:4444';
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export async function request(method, url, body) {
  const response = await fetch(`${DRIVER}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${url}: ${JSON.stringify(json.value)}`);
  return json.value;
}

let session = null;

/** Starts `application` (the app's binary) in a new session. */
export async function openSession(application) {
  session = (await request('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application } } },
  })).sessionId;
}

/** Ends the session; an app that is already gone (killed by the test) is not an error. */
export async function closeSession() {
  if (session) await request('DELETE', `/session/${session}`).catch(() => {});
  session = null;
}

/** A request to the session's own `suffix` (`/execute/async`, `/element/ID/clear`, …). */
export const inSession = (method, suffix, body) => request(method, `/session/${session}${suffix}`, body);
export const run = (script, ...args) => inSession('POST', '/execute/sync', { script, args });
export const find = async (css) => (await inSession('POST', '/element', { using: 'css selector', value: css }))[ELEMENT];
export const click = async (css) => inSession('POST', `/element/${await find(css)}/click`, {});
/** Clicks the element with this id by script: inside a scrolling sheet WebDriver's click may land on what covers it. */
export const press = (id) => run('document.getElementById(arguments[0]).click()', id);

/** Saves the window's picture as `name` in `folder`. */
export async function screenshot(folder, name) {
  const png = await inSession('GET', '/screenshot');
  const file = path.join(folder, name);
  writeFileSync(file, Buffer.from(png, 'base64'));
  console.log(`e2e: screenshot ${file}`);
}

/** Polls `script` until it returns a truthy value; fails after `limit` ms, with the queue's text. */
export async function waitFor(what, script, limit = 30_000, ...args) {
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await run(script, ...args);
    if (value) return value;
    if (Date.now() > deadline) {
      const state = await run('return document.getElementById("queue-view").innerText');
      throw new Error(`timed out waiting for ${what}; queue: ${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Polls `check` (a plain function of this process) until it returns a truthy value. */
export async function until(what, check, limit = 30_000) {
  const deadline = Date.now() + limit;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const results = [];

/** Runs one named step of the test, reporting it TAP-style; a failure ends the test. */
export async function step(name, body) {
  try {
    await body();
    results.push([name, true]);
    console.log(`ok - ${name}`);
  } catch (error) {
    results.push([name, false]);
    console.log(`not ok - ${name}\n  ${error.stack ?? error}`);
    throw error;
  }
}

/** Runs `main`, then prints `label: N passed` or the failure, setting the exit code. */
export function report(label, main) {
  main()
    .then(() => console.log(`${label}: ${results.length} passed, 0 failed`))
    .catch((error) => {
      console.error(`${label}: failed: ${error.message}`);
      process.exitCode = 1;
    });
}

export function probeDuration(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(String(out).trim());
}
