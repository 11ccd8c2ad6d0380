/*
 * lib.js: what the browser tests share: the checks' tally, headless Chromium, opening a page
 * while collecting its errors, and the flamegraph page's common gestures.
 *
 *   const lib = require("./lib");
 *   lib.run(DIR, [test, ...])   each test(browser) in turn; prints "N passed, N failed" and
 *                               exits 1 on any failure (a test that throws counts as one)
 *   lib.check(what, ok, detail) one line per check: "ok: WHAT" or "FAIL: WHAT (DETAIL)"
 *   lib.open(browser, file)     {page, errors, ms}: console errors and uncaught exceptions go to
 *                               `errors`; file is relative to DIR
 *   lib.search(page, q)         types into #search, waits for the debounced search, returns
 *                               data-matched
 *   lib.clickFrame(page, name, modifiers)  clicks the first drawn box named `name`
 *
 * Chromium is Debian's /usr/bin/chromium (CHROMIUM=PATH overrides) driven by playwright-core.
 */
"use strict";

const path = require("path");
const fs = require("fs");
const os = require("os");
const { chromium } = require("playwright-core");

let dir = ".";
let passed = 0, failed = 0;

function check(what, ok, detail) {
	if (ok) {
		passed++;
		console.log("ok: " + what);
	} else {
		failed++;
		console.log("FAIL: " + what + (detail !== undefined ? " (" + detail + ")" : ""));
	}
	return ok;
}

async function open(browser, file) {
	const page = await browser.newPage();
	const errors = [];
	page.on("console", (m) => {
		if (m.type() === "error")
			errors.push(m.text());
	});
	page.on("pageerror", (e) => errors.push(e.message));
	const t0 = Date.now();
	await page.goto("file://" + path.resolve(dir, file));
	await page.waitForLoadState("load");
	return { page, errors, ms: Date.now() - t0 };
}

async function search(page, q) {
	/* The page sets data-matched again once the (debounced) search has run. */
	await page.evaluate(() => document.body.removeAttribute("data-matched"));
	await page.fill("#search", q);
	await page.waitForFunction((want) => {
		const m = document.body.getAttribute("data-matched");
		return want === "" ? m === null : m !== null;
	}, q === "" ? "" : q, { timeout: 5000 });
	return page.evaluate(() => document.body.getAttribute("data-matched"));
}

/* Clicks the centre of the first drawn box named `name` (modifiers: ["Shift"], ["Alt"]). */
async function clickFrame(page, name, modifiers) {
	const box = await page.evaluate((n) => window.scorchFlamegraph.find(n), name);
	if (!box)
		return false;
	const r = await page.locator("#canvas").boundingBox();
	/* page.mouse has no modifiers of its own: the keyboard holds them. */
	for (const m of modifiers || [])
		await page.keyboard.down(m);
	await page.mouse.click(r.x + box.x + box.w / 2, r.y + box.y + 8);
	for (const m of modifiers || [])
		await page.keyboard.up(m);
	return true;
}

async function run(where, tests) {
	dir = where;
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "scorch-chromium-"));
	/* A fresh profile directory each run (playwright passes it as --user-data-dir). */
	const browser = await chromium.launchPersistentContext(userDataDir, {
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		viewport: { width: 1200, height: 800 },
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		       "--disable-background-networking", "--disable-component-update",
		       "--disable-sync"],
	});
	try {
		for (const t of tests) {
			try {
				await t(browser);
			} catch (e) {
				check(t.name + ": ran to the end", false, e.message.split("\n")[0]);
			}
		}
	} finally {
		await browser.close();
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}
	console.log(passed + " passed, " + failed + " failed");
	process.exit(failed ? 1 : 0);
}

module.exports = { check, open, search, clickFrame, run, dir: () => dir };
