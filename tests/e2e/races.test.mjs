// races.test.mjs — the race finder in a real browser (Debian's Chromium) on a
// phone-sized screen: the search works with JavaScript turned off, a result
// carries the race into the signup form, and axe-core finds no violations on
// /races, a results page and the staff coverage page.
//
// The server gets the repository's demo race data (data/, through `onramp
// demo --people 0`), so the ZIPs are real ones: 23219 is Richmond, VA.
//
// Run: cd tests/e2e && node --test --test-reporter=tap *.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer, onrampBin, sql } from './lib/server.mjs';
import { launchBrowser, phoneContext, axeViolations, describeViolations, PHONE } from './lib/browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DATA = resolve(here, '../../data');
const STAFF_EMAIL = 'e2e.races@example.org';
const STAFF_PASS = 'harbor pepper violin 27';

let server;
let browser;

before(async () => {
  server = await startServer();
  execFileSync(onrampBin(), ['demo', '--people', '0', '--races-data', DATA], {
    env: server.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120000,
  });
  execFileSync(onrampBin(), ['user', 'add', '--email', STAFF_EMAIL, '--role', 'staff'], {
    env: server.env,
    input: `${STAFF_PASS}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // the running server notices the new boundaries within a few seconds
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${server.base}/races?zip=23219`);
    if ((await res.text()).includes('Richmond')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    assert.equal(code, 0, 'onramp serve exits 0 on SIGTERM');
  }
});

test('finding races by ZIP works on a phone without JavaScript', async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  const res = await page.goto(`${server.base}/races`);
  assert.equal(res.status(), 200);
  await page.getByLabel(/^ZIP code/).fill('23219');
  await Promise.all([
    page.waitForURL(/\/races\?.*zip=23219/),
    page.getByRole('button', { name: 'Find races' }).click(),
  ]);
  await page.waitForLoadState('load');
  const heading = await page.getByRole('heading', { level: 2 }).first().textContent();
  assert.match(heading, /Races you could run in: \d+/);
  // a ZIP answer says it is approximate
  assert.ok(await page.locator('#approximate').isVisible());
  const races = page.locator('ol.race-list > li');
  assert.ok(await races.count() >= 1, 'at least one race for Richmond');
  assert.match(await races.first().locator('h3').textContent(), /Richmond/);
  assert.match(await races.first().textContent(), /Filing closes (in \d+ days|today|tomorrow)/);
  // nothing wider than the phone
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `the page is ${width}px wide on a ${PHONE.width}px phone`);
  // "I'm interested" carries the race into the signup form
  const link = races.first().getByRole('link', { name: /I'm interested/ });
  const href = await link.getAttribute('href');
  const raceId = /race=(\d+)/.exec(href)[1];
  await Promise.all([page.waitForURL(/\/signup\?race=\d+/), link.click()]);
  assert.equal(await page.locator('input[type=hidden][name=race]').getAttribute('value'), raceId);
  // a bad ZIP: 422 with the form and a message
  const bad = await page.goto(`${server.base}/races?zip=12`);
  assert.equal(bad.status(), 422);
  assert.ok(await page.getByRole('alert').isVisible());
  await context.close();
});

/** Checks the phone layout and axe on the page as loaded. */
async function audit(page, where) {
  const problems = [];
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > PHONE.width) problems.push(`${where}: ${width}px wide on a ${PHONE.width}px phone`);
  const text = describeViolations(where, await axeViolations(page));
  if (text) problems.push(text);
  return problems;
}

test('the race pages have no accessibility violations', async () => {
  const context = await phoneContext(browser, { javaScript: true });
  const page = await context.newPage();
  const problems = [];
  for (const path of ['/races', '/races?zip=23219', '/races?zip=19107', '/races?zip=12',
    '/races?zip=10001']) {
    const res = await page.goto(`${server.base}${path}`);
    assert.ok([200, 422].includes(res.status()), path);
    problems.push(...await audit(page, path));
  }
  // the staff coverage page and a person's races, signed in
  await page.goto(`${server.base}/login`);
  await page.getByLabel('Email address').fill(STAFF_EMAIL);
  await page.getByLabel('Password').fill(STAFF_PASS);
  await Promise.all([page.waitForURL(/\/staff/), page.getByRole('button', { name: 'Log in' }).click()]);
  const res = await page.goto(`${server.base}/staff/races?state=va`);
  assert.equal(res.status(), 200);
  problems.push(...await audit(page, '/staff/races?state=va'));
  const raceId = sql(server.dbPath, "SELECT min(id) FROM races");
  await page.goto(`${server.base}/staff/races/${raceId}`);
  problems.push(...await audit(page, '/staff/races/{id}'));
  assert.deepEqual(problems, []);
  await context.close();
});
