// signup.test.mjs — the public signup in a real browser (Debian's Chromium),
// on a phone-sized screen, with JavaScript turned off, plus axe-core
// accessibility checks of every public page and the staff pages.
//
// Run: cd tests/e2e && node --test --test-reporter=tap *.test.mjs
// (ONRAMP_BIN names the binary; default ../../build/onramp). Leaves a
// screenshot of the signup form in /tmp/onramp-signup.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

import { startServer, onrampBin, sql } from './lib/server.mjs';
import { launchBrowser, phoneContext, axeViolations, describeViolations, PHONE } from './lib/browser.mjs';

const STAFF_EMAIL = 'e2e.staff@example.org';
const STAFF_PASS = 'e2e staff pass phrase 7';

let server;
let browser;

before(async () => {
  server = await startServer();
  execFileSync(onrampBin(), ['user', 'add', '--email', STAFF_EMAIL, '--role', 'admin'], {
    env: {
      ...process.env,
      ONRAMP_DB: `sqlite:${server.dbPath}`,
      ONRAMP_KEY_FILE: `${server.dir}/onramp.key`,
    },
    input: `${STAFF_PASS}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    assert.equal(code, 0, 'onramp serve exits 0 on SIGTERM');
  }
});

function peopleCount() {
  return Number(sql(server.dbPath, 'SELECT count(*) FROM people'));
}

/** Fills the signup form the way a person does: by the visible labels. */
async function fillSignup(page, answers) {
  await page.getByLabel('First name', { exact: true }).fill(answers.first);
  await page.getByLabel('Last name', { exact: true }).fill(answers.last);
  await page.getByLabel('Email address', { exact: true }).fill(answers.email);
  await page.getByLabel('Phone number').fill(answers.phone ?? '');
  await page.getByLabel('City or town').fill('Grand Rapids');
  await page.getByLabel('State', { exact: true }).selectOption('MI');
  await page.getByLabel('ZIP code', { exact: true }).fill(answers.zip);
  await page.getByLabel('School board', { exact: true }).check();
  await page.getByLabel('County office', { exact: true }).check();
  await page.getByLabel('Training on how to run').check();
  await page.getByLabel('Why do you want to run?').fill('Our library hours were cut.\nI want them back.');
  await page.getByLabel('Pronouns').fill('she/her');
  await page.getByLabel('Email me about running for office').check();
}

/** Clicks the submit button; returns the POST's response. */
async function submit(page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/signup') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Send my answers' }).click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

test('the signup form works on a phone without JavaScript', async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  const before = peopleCount();

  const res = await page.goto(`${server.base}/signup?source=e2e&ref=phone`);
  assert.equal(res.status(), 200);
  await page.screenshot({ path: '/tmp/onramp-signup.png', fullPage: true });
  assert.equal(await page.locator('input[type=hidden][name=csrf]').count(), 1);

  await fillSignup(page, {
    first: 'Imani', last: 'Castellanos', email: 'Imani.Castellanos@example.org',
    phone: '(616) 555-0123', zip: '49503',
  });
  const post = await submit(page);
  assert.equal(post.status(), 303);
  assert.match(page.url(), /\/signup\/thanks$/);
  await page.getByRole('heading', { level: 1, name: /Thank you/ }).waitFor();

  assert.equal(peopleCount(), before + 1);
  assert.equal(
    sql(server.dbPath, "SELECT s.source || '/' || s.ref_code FROM submissions s JOIN person_emails e ON e.person_id = s.person_id WHERE e.email = 'imani.castellanos@example.org'"),
    'e2e/phone',
  );
  await context.close();
});

test('an error keeps every typed answer and says what to fix', async () => {
  const context = await phoneContext(browser);
  const page = await context.newPage();
  const before = peopleCount();

  await page.goto(`${server.base}/signup`);
  await fillSignup(page, { first: 'Tomás', last: "O'Neill", email: 'tomas@', phone: '616 555 0188', zip: '' });
  const bad = await submit(page);
  assert.equal(bad.status(), 422);
  assert.equal(peopleCount(), before);

  // the summary at the top, and a message at each bad field
  const summary = page.getByRole('alert').filter({ hasText: 'Please check these answers' });
  await summary.waitFor();
  assert.match(await page.locator('#e-email').innerText(), /Enter your email address/);
  assert.match(await page.locator('#e-zip').innerText(), /ZIP code/);
  assert.equal(await page.getByLabel('Email address', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.match(await page.title(), /^Error: /);

  // every answer is still there
  assert.equal(await page.getByLabel('First name', { exact: true }).inputValue(), 'Tomás');
  assert.equal(await page.getByLabel('Last name', { exact: true }).inputValue(), "O'Neill");
  assert.equal(await page.getByLabel('Email address', { exact: true }).inputValue(), 'tomas@');
  assert.equal(await page.getByLabel('Phone number').inputValue(), '616 555 0188');
  assert.equal(await page.getByLabel('City or town').inputValue(), 'Grand Rapids');
  assert.equal(await page.getByLabel('State', { exact: true }).inputValue(), 'MI');
  assert.equal(await page.getByLabel('School board', { exact: true }).isChecked(), true);
  assert.equal(await page.getByLabel('County office', { exact: true }).isChecked(), true);
  assert.equal(await page.getByLabel('Judge or other judicial office').isChecked(), false);
  assert.equal(await page.getByLabel('Training on how to run').isChecked(), true);
  assert.equal(await page.getByLabel('Email me about running for office').isChecked(), true);
  assert.equal(await page.getByLabel('Text me').isChecked(), false);
  assert.equal(await page.getByLabel('Pronouns').inputValue(), 'she/her');
  assert.equal(
    (await page.getByLabel('Why do you want to run?').inputValue()).replace(/\r\n/g, '\n'),
    'Our library hours were cut.\nI want them back.',
  );

  // fixing the two answers is enough
  await page.getByLabel('Email address', { exact: true }).fill('tomas.oneill@example.org');
  await page.getByLabel('ZIP code', { exact: true }).fill('49504');
  const good = await submit(page);
  assert.equal(good.status(), 303);
  assert.match(page.url(), /\/signup\/thanks$/);
  assert.equal(peopleCount(), before + 1);
  await context.close();
});

/** Loads url in the JS-enabled context, checks the phone layout and axe. */
async function auditPage(page, where, load) {
  await load();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  const problems = [];
  if (overflow > PHONE.width) problems.push(`${where}: the page is ${overflow}px wide on a ${PHONE.width}px phone`);
  const text = describeViolations(where, await axeViolations(page));
  if (text) problems.push(text);
  return problems;
}

test('public pages have no accessibility violations', async () => {
  const context = await phoneContext(browser, { javaScript: true });
  const page = await context.newPage();
  const problems = [];
  for (const path of ['/', '/signup', '/signup/thanks', '/login']) {
    problems.push(...await auditPage(page, path, async () => {
      const res = await page.goto(`${server.base}${path}`);
      assert.equal(res.status(), 200, path);
    }));
  }
  // the error state of the signup form
  problems.push(...await auditPage(page, '/signup (with errors)', async () => {
    await page.goto(`${server.base}/signup`);
    await fillSignup(page, { first: 'Ada', last: '', email: 'nope', zip: '1' });
    const res = await submit(page);
    assert.equal(res.status(), 422);
  }));
  // the login form after a wrong password
  problems.push(...await auditPage(page, '/login (wrong password)', async () => {
    await page.goto(`${server.base}/login`);
    await page.getByLabel('Email', { exact: false }).first().fill(STAFF_EMAIL);
    await page.getByLabel('Password').fill('not the password at all');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
      page.locator('form[action="/login"] [type=submit]').click(),
    ]);
    assert.equal(res.status(), 401);
  }));
  await context.close();
  if (problems.length) console.log(problems.join('\n'));
  assert.deepEqual(problems, []);
});

test('staff pages have no accessibility violations', async () => {
  const context = await phoneContext(browser, { javaScript: true });
  const page = await context.newPage();
  await page.goto(`${server.base}/login`);
  await page.getByLabel('Email', { exact: false }).first().fill(STAFF_EMAIL);
  await page.getByLabel('Password').fill(STAFF_PASS);
  await Promise.all([
    page.waitForURL(/\/staff$/),
    page.locator('form[action="/login"] [type=submit]').click(),
  ]);
  const id = sql(server.dbPath, 'SELECT min(id) FROM people');
  assert.ok(Number(id) > 0, 'the earlier tests signed someone up');
  const problems = [];
  for (const path of ['/staff', '/staff/people', `/staff/people/${id}`, '/staff/people?q=Imani',
    '/staff/flags', '/staff/audit', '/staff/users']) {
    problems.push(...await auditPage(page, path, async () => {
      const res = await page.goto(`${server.base}${path}`);
      assert.equal(res.status(), 200, path);
    }));
  }
  await context.close();
  if (problems.length) console.log(problems.join('\n'));
  assert.deepEqual(problems, []);
});
