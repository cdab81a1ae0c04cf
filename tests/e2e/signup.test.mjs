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
const STAFF_PASS = 'woolen tide barometer 64';

let server;
let browser;

before(async () => {
  server = await startServer();
  execFileSync(onrampBin(), ['user', 'add', '--email', STAFF_EMAIL, '--role', 'admin'], {
    env: server.env,
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

/** The control whose label is text, with or without "(optional)" after it. */
function field(page, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return page.getByLabel(new RegExp(`^${escaped}( \\(optional\\))?$`));
}

/** Fills the signup form the way a person does: by the visible labels. */
async function fillSignup(page, answers) {
  await field(page, 'First name').fill(answers.first);
  await field(page, 'Last name').fill(answers.last);
  await field(page, 'Email address').fill(answers.email);
  await field(page, 'Phone number').fill(answers.phone ?? '');
  await field(page, 'City or town').fill('Grand Rapids');
  await field(page, 'State').selectOption('MI');
  await field(page, 'ZIP code').fill(answers.zip);
  await field(page, 'School board').check();
  await field(page, 'County office').check();
  await field(page, 'Training on how to run').check();
  await field(page, 'Why do you want to run?').fill('Our library hours were cut.\nI want them back.');
  await field(page, 'Pronouns').fill('she/her');
  await field(page, 'Email me about running for office').check();
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
  assert.equal(await field(page, 'Email address').getAttribute('aria-invalid'), 'true');
  assert.match(await page.title(), /^Error: /);

  // every answer is still there
  assert.equal(await field(page, 'First name').inputValue(), 'Tomás');
  assert.equal(await field(page, 'Last name').inputValue(), "O'Neill");
  assert.equal(await field(page, 'Email address').inputValue(), 'tomas@');
  assert.equal(await field(page, 'Phone number').inputValue(), '616 555 0188');
  assert.equal(await field(page, 'City or town').inputValue(), 'Grand Rapids');
  assert.equal(await field(page, 'State').inputValue(), 'MI');
  assert.equal(await field(page, 'School board').isChecked(), true);
  assert.equal(await field(page, 'County office').isChecked(), true);
  assert.equal(await field(page, 'Judge or other judicial office').isChecked(), false);
  assert.equal(await field(page, 'Training on how to run').isChecked(), true);
  assert.equal(await field(page, 'Email me about running for office').isChecked(), true);
  assert.equal(await page.getByLabel(/^Text me/).isChecked(), false);
  assert.equal(await field(page, 'Pronouns').inputValue(), 'she/her');
  assert.equal(
    (await field(page, 'Why do you want to run?').inputValue()).replace(/\r\n/g, '\n'),
    'Our library hours were cut.\nI want them back.',
  );

  // fixing the two answers is enough
  await field(page, 'Email address').fill('tomas.oneill@example.org');
  await field(page, 'ZIP code').fill('49504');
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
    await field(page, 'Email address').fill(STAFF_EMAIL);
    await field(page, 'Password').fill('not the password at all');
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
  await field(page, 'Email address').fill(STAFF_EMAIL);
  await field(page, 'Password').fill(STAFF_PASS);
  await Promise.all([
    page.waitForURL(/\/staff$/),
    page.locator('form[action="/login"] [type=submit]').click(),
  ]);
  // someone to look at (this test does not rely on the earlier ones)
  await page.goto(`${server.base}/signup`);
  await fillSignup(page, { first: 'Imani', last: 'Staffview', email: 'imani.staffview@example.org', zip: '49503' });
  assert.equal((await submit(page)).status(), 303);
  const id = sql(server.dbPath, "SELECT person_id FROM person_emails WHERE email = 'imani.staffview@example.org'");
  assert.ok(Number(id) > 0);
  const problems = [];
  for (const path of ['/staff', '/staff/people', `/staff/people/${id}`, '/staff/people?q=Imani',
    '/staff/flags', '/staff/audit', '/staff/users', '/staff/account', '/staff/account/2fa']) {
    problems.push(...await auditPage(page, path, async () => {
      const res = await page.goto(`${server.base}${path}`);
      assert.equal(res.status(), 200, path);
    }));
  }
  await context.close();
  if (problems.length) console.log(problems.join('\n'));
  assert.deepEqual(problems, []);
});
