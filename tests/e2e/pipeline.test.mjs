// pipeline.test.mjs — the call flow in a real browser (Debian's Chromium),
// on a phone-sized screen with JavaScript off: a new signup is assigned to
// the only volunteer; the volunteer logs in, opens My calls, opens the
// person's call sheet, logs a call recommending "1:1 done", and sees the
// person move stage. Then axe-core checks the pipeline pages for the
// volunteer and for staff.
//
// Run: cd tests/e2e && node --test --test-reporter=tap *.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { startServer, onrampBin, sql } from './lib/server.mjs';
import { launchBrowser, phoneContext, axeViolations, describeViolations, PHONE } from './lib/browser.mjs';

const VOL_EMAIL = 'e2e.volunteer@example.org';
const VOL_PASS = 'harbor quill saffron 27';
const STAFF_EMAIL = 'e2e.pipeline.staff@example.org';
const STAFF_PASS = 'violet anchor summit 85';

let server;
let browser;

function addUser(email, role, password) {
  execFileSync(onrampBin(), ['user', 'add', '--email', email, '--role', role], {
    env: server.env,
    input: `${password}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

before(async () => {
  server = await startServer();
  addUser(VOL_EMAIL, 'volunteer', VOL_PASS);
  addUser(STAFF_EMAIL, 'staff', STAFF_PASS);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    assert.equal(code, 0, 'onramp serve exits 0 on SIGTERM');
  }
});

/** The control whose label is text, with or without "(optional)" after it. */
function field(page, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByLabel(new RegExp(`^${escaped}( \\(optional\\))?$`));
}

async function signUp(page, first, email) {
  await page.goto(`${server.base}/signup`);
  await field(page, 'First name').fill(first);
  await field(page, 'Last name').fill('Caller');
  await field(page, 'Email address').fill(email);
  await field(page, 'Phone number').fill('(608) 555-0147');
  await field(page, 'State').selectOption('WI');
  await field(page, 'ZIP code').fill('53703');
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/signup') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Send my answers' }).click(),
  ]);
  assert.equal(res.status(), 303);
  await page.waitForLoadState('load');
}

async function logIn(page, email, password) {
  await page.goto(`${server.base}/login`);
  await field(page, 'Email address').fill(email);
  await field(page, 'Password').fill(password);
  await Promise.all([
    page.waitForURL(/\/staff$/),
    page.locator('form[action="/login"] [type=submit]').click(),
  ]);
}

test('a volunteer logs a call from My calls and sees the person move stage', async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  await signUp(page, 'Marisol', 'marisol.caller@example.org');
  const id = sql(server.dbPath, "SELECT person_id FROM person_emails WHERE email = 'marisol.caller@example.org'");
  assert.equal(
    sql(server.dbPath, `SELECT u.email FROM person_pipeline pp JOIN users u ON u.id = pp.assignee_id WHERE pp.person_id = ${Number(id)}`),
    VOL_EMAIL,
  );

  await logIn(page, VOL_EMAIL, VOL_PASS);
  await page.getByRole('link', { name: 'My calls' }).first().click();
  await page.waitForURL(/\/staff\/calls$/);
  await page.getByRole('link', { name: 'Marisol Caller' }).click();
  await page.waitForURL(new RegExp(`/staff/people/${id}/call$`));
  assert.match(await page.locator('#current-stage').innerText(), /Signed up/);

  await page.getByRole('radio', { name: 'Reached' }).check();
  await page.getByLabel('Office they are considering').selectOption('school_board');
  await page.getByRole('radio', { name: '4' }).check();
  await page.getByRole('checkbox', { name: 'A mentor' }).check();
  await page.getByLabel('Notes').fill('Keen on the school board; wants a mentor.');
  await page.getByLabel('Recommended next stage').selectOption({ label: '1:1 done' });
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/calls') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Save call' }).click(),
  ]);
  assert.equal(res.status(), 303);
  await page.waitForLoadState('load');
  assert.match(await page.locator('#current-stage').innerText(), /1:1 done/);
  assert.match(await page.locator('#h-calls + ol').innerText(), /Keen on the school board/);
  assert.equal(
    sql(server.dbPath, `SELECT s.code FROM person_pipeline pp JOIN pipeline_stages s ON s.id = pp.stage_id WHERE pp.person_id = ${Number(id)}`),
    'one_on_one',
  );
  await context.close();
});

/** Loads url in the JS-enabled context, checks the phone layout and axe. */
async function auditPage(page, where) {
  const res = await page.goto(`${server.base}${where}`);
  assert.equal(res.status(), 200, where);
  const problems = [];
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  if (overflow > PHONE.width) problems.push(`${where}: the page is ${overflow}px wide on a ${PHONE.width}px phone`);
  const text = describeViolations(where, await axeViolations(page));
  if (text) problems.push(text);
  return problems;
}

test('pipeline pages have no accessibility violations', async () => {
  const context = await phoneContext(browser, { javaScript: true });
  const page = await context.newPage();
  await signUp(page, 'Axel', 'axel.caller@example.org');
  const id = sql(server.dbPath, "SELECT person_id FROM person_emails WHERE email = 'axel.caller@example.org'");
  const problems = [];
  await logIn(page, VOL_EMAIL, VOL_PASS);
  for (const path of ['/staff/calls', `/staff/people/${id}/call`, '/staff/tasks']) {
    problems.push(...await auditPage(page, path));
  }
  await context.clearCookies();
  await logIn(page, STAFF_EMAIL, STAFF_PASS);
  for (const path of ['/staff/dropoff', '/staff/reports/funnel', '/staff/volunteers', '/staff/views',
    '/staff/people/bulk?state=WI', `/staff/people/${id}/call`]) {
    problems.push(...await auditPage(page, path));
  }
  await context.close();
  if (problems.length) console.log(problems.join('\n'));
  assert.deepEqual(problems, []);
});
