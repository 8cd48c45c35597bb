// Drives the admin web in Debian's headless Chromium for tests/tests/admin_web.rs, one phase
// per run: node admin.mjs PHASE URL OUT_DIR [ARG]. Prints one JSON line with what it saw;
// exits non-zero (with the reason) when the page does not behave.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The scan itself, shared with the app's webview test. */
const AXE_RUN = readFileSync(new URL('./axe-run.js', import.meta.url), 'utf8');

const [phase, url, out, arg] = process.argv.slice(2);
const LOGIN = process.env.ADMIN_LOGIN ?? 'admin';
const PASSWORD = process.env.ADMIN_PASSWORD ?? 'gridwalk-demo';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
// A community admin's browser: Chinese, on China time (the demo deployment's calendar).
const context = await browser.newContext({
  viewport: { width: 1280, height: 860 }, acceptDownloads: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
});
const page = await context.newPage();
page.setDefaultTimeout(30_000);
page.on('dialog', (d) => d.accept());
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));

const shot = (name) => page.screenshot({ path: join(out, `admin-${name}.png`), fullPage: false });

async function signIn() {
  await page.goto(`${url}/admin/`);
  await page.fill('input[name=login]', LOGIN);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav a[data-page=dashboard]');
}

async function go(name) {
  await page.click(`nav a[data-page=${name}]`);
  await page.waitForSelector('main h2');
}

// axe-core's WCAG 2.1 AA violations on the page as it is now, one line per failing node.
async function axeViolations(where) {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(`(${AXE_RUN})()`);
  return violations.map((v) => `${where}: ${v}`);
}

const phases = {
  // An accessibility scan (axe-core, WCAG 2.1 A + AA) of the sign-in page and of every page
  // in the navigation, as the signed-in user sees it.
  async a11y() {
    await page.goto(`${url}/admin/`);
    await page.waitForSelector('input[name=login]');
    const found = await axeViolations('signin');
    await signIn();
    const pages = await page.$$eval('nav a[data-page]', (links) => links.map((a) => a.dataset.page));
    for (const name of pages) {
      await go(name);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      found.push(...(await axeViolations(name)));
      // The work queue's detail pane too, with its action forms.
      const row = page.locator('[data-testid=queue] tr[data-item]').first();
      if (name === 'queue' && (await row.count())) {
        await row.click();
        await page.waitForSelector('[data-testid=queue-detail]');
        found.push(...(await axeViolations('queue-detail')));
      }
    }
    return { pages, violations: found };
  },
  // Sign in (a wrong password first), import a file with a bad row, add a user, issue a code.
  async setup() {
    await page.goto(`${url}/admin/`);
    await page.fill('input[name=login]', LOGIN);
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    await page.fill('input[name=password]', '');
    await shot('signin');
    await signIn();
    await go('org');
    await page.waitForSelector('[data-testid=household-count]');
    const before = await page.textContent('[data-testid=household-count]');
    const csv = join(out, 'households.csv');
    writeFileSync(csv, '楼栋,地址,户主,电话\n1号楼,幸福路18号1号楼9单元901,王五,13900000001\n99号楼,幸福路18号1号楼9单元902,赵六,13900000002\n');
    await page.setInputFiles('[data-testid=import-file]', csv);
    await page.click('[data-testid=import-run]');
    await page.waitForSelector('[data-testid=import-errors]');
    const result = await page.getAttribute('[data-testid=import-result]', 'data-code');
    const errorRows = await page.$$eval('[data-testid=import-errors] tbody tr', (rows) => rows.map((r) => r.textContent));
    const after = await page.textContent('[data-testid=household-count]');
    await go('users');
    await page.fill('input[name=login]', 'worker9');
    await page.fill('input[name=name]', '林小雨');
    await page.selectOption('select[name=role]', 'grid_worker');
    await page.click('[data-testid=create-user]');
    await page.waitForSelector('tr[data-login=worker9]');
    await page.click('[data-testid=issue-worker9]');
    await page.waitForSelector('[data-testid=enroll-code] svg');
    const code = (await page.textContent('[data-testid=code]')).trim();
    await shot('users');
    return { before, after, result, errorRows, code };
  },
  // The device list shows the enrolled phone; revoke it.
  async revoke() {
    await signIn();
    await go('devices');
    await page.waitForSelector('tr[data-login=worker9]');
    await shot('devices');
    await page.click('[data-testid=revoke-worker9]');
    await page.waitForSelector('tr[data-login=worker9] .badge.bad');
    return { revoked: true };
  },
  // Add a question to the visit checklist and save it as a new version.
  async checklist() {
    await signIn();
    await go('reference');
    await page.waitForSelector('[data-testid=checklist-editor]');
    await page.click('[data-testid=add-item]');
    await page.locator('[data-testid=item-label]').last().fill(arg ?? '燃气报警器是否正常');
    await page.click('[data-testid=save-checklist]');
    await page.waitForSelector('[data-testid=reference-saved]');
    return { version: await page.textContent('[data-testid=reference-version]') };
  },
  // Route a category in an area (ARG: "CODE,AREA_ID") to a street department with a 4-day
  // limit, from the form.
  async routing() {
    const [category, area] = arg.split(',');
    await signIn();
    await go('reference');
    // An unsaved edit in another catalogue survives saving this one.
    await page.selectOption('[data-testid=catalogue-section]', 'categories');
    const firstName = page.locator('[data-testid=categories-editor] tbody tr input').nth(1);
    await firstName.fill('暴露垃圾（草稿）');
    await page.selectOption('[data-testid=catalogue-section]', 'routing');
    await page.waitForSelector('[data-testid=routing-editor]');
    const before = await page.locator('[data-testid=routing-rule]').count();
    await page.click('[data-testid=add-rule]');
    const rule = page.locator('[data-testid=routing-rule]').last();
    await rule.locator('[data-testid=rule-category]').selectOption(category);
    await rule.locator('[data-testid=rule-area]').selectOption(area);
    await rule.locator('[data-testid=rule-level]').selectOption('street');
    const days = await rule.locator('[data-testid=rule-days]').inputValue();
    await rule.locator('[data-testid=rule-department]').selectOption({ index: 1 });
    await rule.locator('[data-testid=rule-days]').fill('4');
    await shot('reference');
    await page.click('[data-testid=save-catalogue]');
    await page.waitForSelector('[data-testid=reference-saved]');
    await page.selectOption('[data-testid=catalogue-section]', 'routing');
    const after = await page.locator('[data-testid=routing-rule]').count();
    // The other two catalogues render as forms too.
    await page.selectOption('[data-testid=catalogue-section]', 'categories');
    const categories = await page.locator('[data-testid=categories-editor] tbody tr').count();
    const keptEdit = await firstName.inputValue();
    await page.selectOption('[data-testid=catalogue-section]', 'services');
    const services = await page.locator('[data-testid=services-editor] tbody tr').count();
    return { before, after, streetDays: Number(days), categories, services, keptEdit };
  },
  // Dashboards with charts, then an XLSX export downloaded.
  async dashboard() {
    await signIn();
    await page.waitForSelector('[data-testid=dashboard]');
    await page.waitForSelector('canvas');
    await page.waitForTimeout(300);
    await shot('dashboards');
    const onTime = await page.textContent('[data-testid=on-time]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-visits-xlsx]')]);
    const file = join(out, download.suggestedFilename());
    await download.saveAs(file);
    await go('audit');
    await page.waitForSelector('[data-testid=audit] tbody tr');
    const audit = await page.$$eval('[data-testid=audit] tbody tr', (rows) => rows.map((r) => r.textContent));
    await shot('audit');
    return { file, onTime, audit };
  },
  // Records & evidence: a thumbnail that really loaded, the full-size photo, an audio note
  // served as audio that the element can play, and the missing uploads.
  async records() {
    await signIn();
    await go('records');
    const range = { from: await page.inputValue('[data-testid=records-from]'), to: await page.inputValue('[data-testid=records-to]') };
    await page.waitForSelector('[data-testid=records] [data-testid=photo] img');
    const thumb = page.locator('[data-testid=records] [data-testid=photo] img').first();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle());
    const thumbnailWidth = await thumb.evaluate((img) => img.naturalWidth);
    const audio = page.locator('[data-testid=audio-note]').first();
    await page.waitForFunction((el) => el.readyState >= 1 && el.duration > 0, await audio.elementHandle());
    const audioDuration = await audio.evaluate((el) => el.duration);
    const audioType = await audio.evaluate(async (el) => (await fetch(el.currentSrc)).headers.get('content-type'));
    await page.waitForSelector('[data-testid=missing] tr[data-hash]');
    const missing = await page.$$eval('[data-testid=missing] tr[data-hash]', (rows) => rows.map((r) => r.dataset.hash));
    await shot('records');
    await thumb.click();
    const full = page.locator('[data-testid=lightbox] img');
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await full.elementHandle());
    const fullWidth = await full.evaluate((img) => img.naturalWidth);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=lightbox]', { state: 'detached' });
    return { range, thumbnailWidth, fullWidth, audioType, audioDuration, missing };
  },
  // The work queue as department staff (ADMIN_LOGIN=dept1): the routed item in 待受理,
  // accepted, then feedback with a photo picked from disk (downscaled to JPEG in the page),
  // the timeline showing that photo. ARG: "INCIDENT_ID|PHOTO_PATH".
  async queue() {
    const [id, photo] = arg.split('|');
    await signIn();
    await go('queue');
    const row = `[data-testid=queue] tr[data-item="${id}"]`;
    await page.waitForSelector(row);
    const newCount = Number(await page.textContent('[data-testid=count-new]'));
    await page.click(row);
    await page.waitForSelector('[data-testid=queue-detail]');
    await shot('queue');
    await page.click('button[data-action=accept]');
    await page.waitForSelector('button[data-action=feedback]');
    await page.fill('[data-testid=queue-note]', '已清运，现场恢复整洁');
    await page.setInputFiles('[data-testid=queue-photos]', photo);
    const uploaded = page.locator('[data-testid=queue-photo]').first();
    await uploaded.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await uploaded.elementHandle());
    const thumbnailWidth = await uploaded.evaluate((img) => img.naturalWidth);
    await page.click('button[data-action=feedback]');
    const shown = page.locator('[data-testid=queue-timeline] [data-testid=event-photo]').first();
    await shown.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await shown.elementHandle());
    const timeline = await page.$$eval('[data-testid=queue-timeline] li b', (items) => items.map((b) => b.textContent));
    await shot('queue-timeline');
    return { newCount, thumbnailWidth, timeline };
  },
  // Compose an instruction to one grid (ARG: the grid's id), due tomorrow; the receipts
  // table opens on the new notice with nobody having read it yet.
  async notice() {
    await signIn();
    await go('notices');
    await page.selectOption('select[name=kind]', 'instruction');
    await page.selectOption('select[name=response]', 'reply');
    const due = new Date(Date.now() + 24 * 3600 * 1000 + 8 * 3600 * 1000).toISOString().slice(0, 16);
    await page.fill('input[name=deadline]', due);
    await page.fill('input[name=title]', '燃气安全排查');
    await page.fill('textarea[name=text]', '请于明日前完成本网格燃气安全排查，并回复排查情况。');
    await page.selectOption('select[name=units]', [arg]);
    // A PDF attachment (the leaflet); the send waits for its upload.
    const pdf = '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';
    await page.setInputFiles('[data-testid=notice-pdf]', { name: '燃气安全告知书.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) });
    await page.waitForSelector('[data-testid=notice-attachments]');
    await page.click('[data-testid=send-notice]');
    await page.waitForSelector('[data-testid=notice-receipts] tbody tr');
    const rows = await page.locator('[data-testid=notice-receipts] tbody tr').count();
    const pdfLink = await page.getAttribute('[data-testid=notice-pdf-link]', 'href');
    return { rows, pdfLink, read: await page.textContent('[data-testid=notices] [data-testid=count-read]') };
  },
  // The sent list and the receipts once the phone has read and replied.
  async receipts() {
    await signIn();
    await go('notices');
    await page.click('[data-testid=open-notice]');
    await page.waitForSelector('[data-testid=notice-receipts] tbody tr');
    const replies = await page.$$eval('[data-testid=notice-receipts] tbody tr td:nth-child(4)', (c) => c.map((td) => td.textContent));
    await page.locator('[data-testid=notice-receipts]').scrollIntoViewIfNeeded();
    await shot('notice-receipts');
    return {
      read: await page.textContent('[data-testid=notices] [data-testid=count-read]'),
      answered: await page.textContent('[data-testid=notices] [data-testid=count-answered]'),
      replies,
    };
  },
  // Create a campaign visiting every household of a grid from the form (ARG: "DEADLINE,GRID"),
  // then watch its progress go up live as a phone does a task (the test does it meanwhile).
  async campaign() {
    const [deadline, grid] = arg.split(',');
    await signIn();
    await go('campaigns');
    await page.fill('[data-testid=campaign-form] input[name=name]', '春季入户走访');
    await page.fill('[data-testid=campaign-form] input[name=deadline]', deadline);
    await page.selectOption('[data-testid=campaign-form] select[name=by]', 'grid');
    await page.selectOption('[data-testid=campaign-form] select[name=grid]', grid);
    await page.click('[data-testid=create-campaign]');
    await page.waitForSelector('[data-testid=campaign-created]');
    await page.waitForSelector('[data-testid=campaign-detail]');
    const created = (await page.textContent('[data-testid=campaign-progress]')).trim();
    writeFileSync(join(out, 'campaign-created'), created);
    // The phone's task arrives through the live nudge (or the poll) without a reload.
    await page.waitForFunction(
      () => /^[1-9]\d* \//.test(document.querySelector('[data-testid=campaign-progress]')?.textContent?.trim() ?? ''),
      null, { timeout: 60_000 },
    );
    const progress = (await page.textContent('[data-testid=campaign-progress]')).trim();
    const perWorker = await page.$$eval('[data-testid="campaign.per_worker"] tbody tr', (rows) => rows.map((r) => r.textContent));
    await shot('campaign-progress');
    return { created, progress, perWorker };
  },
  // The weekly hand-over (ARG: "GRID,MONDAY"): the grid's sheet of that week with its
  // visits, and every worker's patrol time against the rule; printed to PDF.
  async handover() {
    const [grid, monday] = arg.split(',');
    await signIn();
    await go('handover');
    await page.waitForSelector('[data-testid=patrol-week] tbody tr');
    await page.selectOption('[data-testid=handover-grid]', grid);
    await page.fill('[data-testid=handover-week]', monday);
    await page.dispatchEvent('[data-testid=handover-week]', 'change');
    await page.waitForFunction(
      (m) => document.querySelector('[data-testid=handover-title]')?.textContent?.includes(m),
      `${Number(monday.slice(5, 7))}月${Number(monday.slice(8, 10))}日`,
    );
    const visits = await page.$$eval('[data-testid=handover-visits] li', (l) => l.map((li) => li.textContent));
    const patrols = await page.$$eval('[data-testid=patrol-week] tbody tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
    await shot('handover');
    await page.emulateMedia({ media: 'print' });
    const navShownInPrint = await page.isVisible('nav');
    await page.emulateMedia({ media: 'screen' });
    return { title: await page.textContent('[data-testid=handover-title]'), visits, patrols, navShownInPrint };
  },
  // Households due a visit: overdue only, the rows and the totals as shown.
  async visits() {
    await signIn();
    await go('visits');
    await page.waitForSelector('[data-testid=due-total]');
    await page.selectOption('[data-testid=due-show]', 'overdue');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid=due-households] tbody tr[data-household]')];
      return rows.length > 0 && rows.every((r) => r.querySelector('.chip.bad'));
    });
    const households = await page.$$eval('[data-testid=due-households] tbody tr[data-household]', (rows) =>
      rows.map((r) => r.dataset.household));
    const total = await page.$$eval('[data-testid=due-total] td', (cells) => cells.map((c) => c.textContent.trim()));
    await shot('due-visits');
    return { households, total };
  },
  // The map: the street's boundaries and buildings coloured by coverage; ARG (JSON) gives a
  // GeoJSON file to import, the worker and day whose track to show, the grid whose boundary
  // to draw and the grid to move one of its buildings to.
  async map() {
    const { geojson, worker, day, edit_grid: editGrid, regrid_to: regridTo } = JSON.parse(arg);
    await signIn();
    await go('map');
    await page.waitForSelector('[data-testid=map-legend][data-loaded=true]');
    const count = (sel) => page.$$eval(sel, (l) => l.length);
    const grids = await count('path.gw-grid');
    const buildings = await count('path.gw-building');
    const coverage = {};
    for (const c of ['visited', 'partly', 'due', 'overdue', 'none']) coverage[c] = await count(`path.gw-building.gw-${c}`);
    const labels = await page.$$eval('.gw-label', (l) => l.map((e) => e.textContent));
    await shot('map-coverage');
    // The same map for a date range (this month so far): every grid's share of households visited.
    await page.selectOption('[data-testid=map-period]', 'range');
    await page.waitForSelector('[data-testid=map-range-grids] li');
    const rangeGrids = await page.$$eval('[data-testid=map-range-grids] li', (l) => l.map((e) => e.textContent.trim()));
    const rangeUnvisited = (await page.textContent('[data-testid=map-legend] [data-coverage=due]')).trim();
    await page.selectOption('[data-testid=map-period]', 'cycle');
    await page.waitForSelector('[data-testid=map-legend][data-loaded=true]');
    await page.check('[data-testid=map-incidents]');
    await page.waitForFunction(() => document.querySelectorAll('.gw-cluster, path.gw-incident').length > 0);
    const incidents = {};
    for (const tone of ['overdue', 'verify', 'open', 'closed']) {
      incidents[tone] = Number((await page.textContent(`[data-testid=map-legend] [data-tone=${tone}]`)).match(/\d+\s*$/)[0]);
    }
    const clusters = await count('.gw-cluster');
    const singles = await count('path.gw-incident');
    await shot('map-incidents');
    await page.uncheck('[data-testid=map-incidents]');
    await page.setInputFiles('[data-testid=map-import]', {
      name: 'grid.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(geojson),
    });
    const report = (await page.textContent('[data-testid=map-report]')).trim();
    await page.selectOption('[data-testid=map-worker]', worker);
    await page.fill('[data-testid=map-day]', day);
    await page.dispatchEvent('[data-testid=map-day]', 'change');
    await page.waitForSelector('[data-testid=map-track]');
    await page.waitForFunction(() => document.querySelectorAll('path.gw-track').length > 0);
    const stops = await count('path.gw-stop');
    const gaps = await count('path.gw-gap');
    const summary = (await page.textContent('[data-testid=map-track]')).trim();
    await shot('map-track');

    // Editing: drag the first building 60 px east, then draw EDIT_GRID's boundary by four taps.
    await page.selectOption('[data-testid=map-worker]', '');
    await page.check('[data-testid=map-edit]');
    const marker = await page.waitForSelector('.gw-building-edit');
    const b = await marker.boundingBox();
    const [x0, y0] = [b.x + b.width / 2, b.y + b.height / 2];
    // The building under the pointer (icons may overlap when zoomed out).
    const dragged = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('.gw-building-edit')?.title, [x0, y0]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x0 + 30, y0, { steps: 5 });
    await page.mouse.move(x0 + 60, y0, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelector('[data-testid=map-report]')?.textContent.includes('已放置 1 栋楼'));
    await page.uncheck('[data-testid=map-edit]');
    await page.selectOption('[data-testid=map-area]', editGrid);
    await page.waitForSelector('[data-testid=map-legend][data-loaded=true]');
    await page.waitForTimeout(300);
    await page.check('[data-testid=map-edit]');
    await page.click('[data-testid=map-draw]');
    const m = await (await page.$('[data-testid=geo-map]')).boundingBox();
    const [cx, cy] = [m.x + m.width / 2, m.y + m.height / 2];
    for (const [dx, dy] of [[-40, -150], [40, -150], [40, 150], [-40, 150]]) await page.mouse.click(cx + dx, cy + dy);
    await shot('map-edit');
    await page.click('[data-testid=map-draw-finish]');
    await page.waitForFunction(() => document.querySelector('[data-testid=map-report]')?.textContent.includes('绘制 1 条边界'));
    // One corner of the drawn boundary dragged 40 px east: only that corner moves.
    const ringOf = () => page.evaluate(async (id) =>
      (await (await fetch('/api/org')).json()).units.find((u) => u.id === id).boundary, editGrid);
    const ringBefore = await ringOf();
    const corners = await count('.gw-corner');
    const handle = await (await page.waitForSelector('.gw-corner')).boundingBox();
    const [hx, hy] = [handle.x + handle.width / 2, handle.y + handle.height / 2];
    await page.mouse.move(hx, hy);
    await page.mouse.down();
    await page.mouse.move(hx + 20, hy, { steps: 5 });
    await page.mouse.move(hx + 40, hy, { steps: 5 });
    await page.mouse.up();
    let ringAfter = ringBefore;
    for (let i = 0; i < 50 && JSON.stringify(ringAfter) === JSON.stringify(ringBefore); i++) {
      await page.waitForTimeout(100);
      ringAfter = await ringOf();
    }

    // Re-gridding: a building of the drawn grid picked on the map, moved to REGRID_TO from its card.
    await page.uncheck('[data-testid=map-edit]');
    await page.evaluate(() => document.querySelector('path.gw-building')
      .dispatchEvent(new MouseEvent('click', { bubbles: true })));
    const card = await page.waitForSelector('[data-testid=map-building]');
    const regridded = (await (await card.$('h3')).textContent()).trim();
    await page.selectOption('[data-testid=map-regrid-grid]', regridTo);
    await page.click('[data-testid=map-regrid]');
    const movedNote = (await (await page.waitForSelector('[data-testid=map-moved]')).textContent()).trim();
    return {
      grids, buildings, coverage, labels, incidents, clusters, singles, report, stops, gaps, summary, dragged,
      regridded, movedNote, rangeGrids, rangeUnvisited, corners, ringBefore, ringAfter, errors,
    };
  },
  // The map over the street's online basemap: its tiles requested from the source, its attribution shown.
  async basemap() {
    await signIn();
    await go('map');
    await page.waitForSelector('[data-testid=map-legend][data-loaded=true]');
    await page.waitForFunction(() => [...document.querySelectorAll('.gw-basemap img')].some((i) => i.complete && i.naturalWidth > 0));
    const tiles = await page.$$eval('.gw-basemap img', (l) => l.filter((i) => i.complete && i.naturalWidth > 0).map((i) => i.src));
    const attribution = (await page.textContent('[data-testid=map-attribution]')).trim();
    await shot('map-basemap');
    return { tiles, attribution, errors };
  },
  // The scoreboard for the week of ARG (its Monday): grids ranked, the XLSX download, then a weight saved.
  async scores() {
    await signIn();
    await go('scores');
    await page.selectOption('[data-testid=score-period]', 'week');
    await page.fill('input[type=date]', arg);
    await page.dispatchEvent('input[type=date]', 'change');
    const [y, m, d] = arg.split('-').map(Number);
    await page.waitForFunction(
      (from) => document.querySelector('[data-testid=score-period-range]')?.textContent?.includes(from),
      `${y}年${m}月${d}日`,
    );
    await page.waitForSelector('[data-testid=score-grids] tbody tr[data-grid]');
    const grids = await page.$$eval('[data-testid=score-grids] tbody tr[data-grid]', (rows) =>
      rows.map((r) => ({
        id: r.dataset.grid, rank: r.cells[0].textContent, score: r.querySelector('[data-testid=score]').textContent,
        visited: r.cells[6].textContent,
      })));
    await shot('scoreboard');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=score-xlsx]')]);
    const file = join(out, download.suggestedFilename());
    await download.saveAs(file);
    const head = readFileSync(file).subarray(0, 2).toString();
    await page.fill('[data-testid=score-weights] input[name=reports_per_week]', '5');
    await page.click('[data-testid=save-weights]');
    const saved = await page.textContent('[role=status]');
    const range = await page.textContent('[data-testid=score-period-range]');
    return { grids, range, xlsx: download.suggestedFilename(), xlsxMagic: head, saved };
  },
  // The community's board (ADMIN_LOGIN=admin): the overdue box first, with its count.
  async board() {
    await signIn();
    await go('queue');
    await page.waitForSelector('[data-testid=count-overdue]');
    await page.click('button[data-box=overdue]');
    await page.waitForSelector('[data-testid=queue] tr[data-item]');
    const overdue = Number(await page.textContent('[data-testid=count-overdue]'));
    await shot('board');
    return { overdue };
  },
};

try {
  const result = await phases[phase]();
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log(JSON.stringify(result));
} catch (e) {
  await page.screenshot({ path: join(out, `failure-${phase}.png`) }).catch(() => {});
  console.error(`${phase} failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
