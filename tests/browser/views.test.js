/*
 * views.test.js: the flamegraph page's timeline brush, sandwich, source panel, tooltip, title,
 * sticky legend, and the note of a page too big to draw every frame (views.sh writes the pages;
 * views.txt holds the known answers: 120 samples of 1 ms, thread "worker" runs f in the first
 * half and g in the second, "helper" runs h at the start).
 *
 *   node views.test.js DIR
 *
 * Prints one line per check and closes with "N passed, N failed"; exits 1 on any failure.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const { check, open, search, clickFrame, run } = require("./lib");

const dir = process.argv[2];
const MS = 1000000; /* the profile's unit is nanoseconds, a sample 1 ms */

const total = (page) => page.evaluate(() => Number(document.body.getAttribute("data-total")));
const value = (page, n) => page.evaluate((x) => window.scorchFlamegraph.value(x), n);

async function timeline(browser) {
	const { page, errors } = await open(browser, "views.html");
	check("timeline: loads without console errors", errors.length === 0, errors.join("; "));
	check("timeline: the page title is the recorded command",
	      (await page.title()) === "scorch: ./app --phases 2", await page.title());
	check("timeline: shown", await page.isVisible("#tracks"));
	const names = await page.evaluate(() => window.scorchFlamegraph.trackNames());
	check("timeline: a track per thread, named", names.join("|") === "worker (11)|helper (12)",
	      names.join("|"));
	check("timeline: starts on the whole run (120 ms)", (await total(page)) === 120 * MS,
	      await total(page));
	/* Drag from the start of the run to its middle (the plot starts 150 px into the canvas and
	 * ends 12 px before its right edge). */
	const r = await page.locator("#tracks").boundingBox();
	const plot = r.width - 150 - 12;
	await page.mouse.move(r.x + 151, r.y + 10);
	await page.mouse.down();
	await page.mouse.move(r.x + 150 + plot * 0.3, r.y + 20);
	await page.mouse.move(r.x + 150 + plot * 0.5, r.y + 30);
	await page.mouse.up();
	const range = await page.evaluate(() => document.body.getAttribute("data-range"));
	check("timeline: the brush selects a range", range !== null, range);
	let t = await total(page), f = await value(page, "f"), g = await value(page, "g"),
	    h = await value(page, "h");
	check("timeline: first half: total 70 ms (f 50, h 20)", t === 70 * MS, t / MS);
	check("timeline: first half: f 50 ms, g 10 ms (under f), h 20 ms",
	      f === 50 * MS && g === 10 * MS && h === 20 * MS, [f, g, h].map((v) => v / MS));
	const aw = await page.evaluate(() => window.scorchFlamegraph.find("a").w /
					      window.scorchFlamegraph.find("all").w);
	check("timeline: the flamegraph is redrawn: a (30 ms) is 30/70 of the width",
	      Math.abs(aw - 30 / 70) < 0.01, aw);
	check("timeline: the range is named",
	      (await page.textContent("#range")).startsWith("range 0.000 s"),
	      await page.textContent("#range"));
	await page.evaluate(() => window.scorchFlamegraph.brush(0.5, 1));
	t = await total(page);
	f = await value(page, "f");
	g = await value(page, "g");
	check("timeline: second half: g 50 ms alone", t === 50 * MS && f === 0 && g === 50 * MS,
	      [t, f, g].map((v) => v / MS));
	const m = await search(page, "^g$");
	check("timeline: search works on the range (g 100%)", m === "100.00%", m);
	await search(page, "");
	await page.click("#whole");
	check("timeline: Whole run returns to 120 ms", (await total(page)) === 120 * MS &&
	      (await page.evaluate(() => document.body.getAttribute("data-range"))) === null);
	check("timeline: no errors after interaction", errors.length === 0, errors.join("; "));
	await page.close();
}

/* The sandwich's boxes as "side depth name value-in-ms", sorted. */
async function sandwichRows(page) {
	const rows = await page.evaluate(() => window.scorchFlamegraph.sandwichRows());
	return rows.map((b) => b.side + " " + b.depth + " " + b.name + " " + b.value / MS).sort();
}

async function sandwich(browser) {
	const { page, errors } = await open(browser, "views.html");
	check("sandwich: closed at first", !(await page.isVisible("#sandwich")));
	check("sandwich: Shift+click on f", await clickFrame(page, "f", ["Shift"]));
	check("sandwich: opens for f",
	      (await page.evaluate(() => document.body.getAttribute("data-sandwich"))) === "f");
	check("sandwich: panel shown", await page.isVisible("#sandwich"));
	let rows = await sandwichRows(page);
	const wantF = ["callees 0 f 50", "callees 1 g 10", "callers 0 f 50", "callers 1 a 30",
		       "callers 1 b 20", "callers 2 main 20", "callers 2 main 30"];
	check("sandwich f: callers a 30, b 20 (main above each); callee g 10",
	      rows.join("|") === wantF.join("|"), rows.join("|"));
	check("sandwich f: self 40 ms in the note",
	      (await page.textContent("#sandwich .panel-note")).includes("self 40.0 ms"),
	      await page.textContent("#sandwich .panel-note"));
	const gbox = await page.evaluate(() => window.scorchFlamegraph.sandwichBox("callees", "g"));
	await page.mouse.click(gbox.x + gbox.w / 2, gbox.y + 8);
	check("sandwich: clicking callee g moves the sandwich to g",
	      (await page.evaluate(() => document.body.getAttribute("data-sandwich"))) === "g");
	rows = await sandwichRows(page);
	const wantG = ["callees 0 g 60", "callers 0 g 60", "callers 1 f 10", "callers 1 main 50",
		       "callers 2 b 10", "callers 3 main 10"];
	check("sandwich g: callers main 50 and f 10 (b, main above f); no callees",
	      rows.join("|") === wantG.join("|"), rows.join("|"));
	await page.evaluate(() => window.scorchFlamegraph.brush(0.5, 1));
	rows = await sandwichRows(page);
	check("sandwich g on the second half: main 50 only",
	      rows.join("|") === "callees 0 g 50|callers 0 g 50|callers 1 main 50", rows.join("|"));
	await page.click("#sandwich button");
	check("sandwich: Close hides it", !(await page.isVisible("#sandwich")));
	/* The header button acts on the selected (clicked) frame. */
	await page.click("#whole");
	await clickFrame(page, "b");
	await page.click("#sandwich-open");
	check("sandwich: the header button opens the clicked frame's",
	      (await page.evaluate(() => document.body.getAttribute("data-sandwich"))) === "b");
	/* Enter in the search box: the costliest match, g (60 ms) rather than f (50 ms). */
	await page.fill("#search", "^(f|g)$");
	await page.press("#search", "Enter");
	check("sandwich: Enter in the search opens the costliest match (g)",
	      (await page.evaluate(() => document.body.getAttribute("data-sandwich"))) === "g");
	await page.fill("#search", "^[fh]$");
	await page.press("#search", "Enter");
	check("sandwich: and with ^[fh]$, f (50 ms, not h 20 ms)",
	      (await page.evaluate(() => document.body.getAttribute("data-sandwich"))) === "f");
	check("sandwich: no errors", errors.length === 0, errors.join("; "));
	await page.close();
}

async function source(browser) {
	const { page, errors } = await open(browser, "views.html");
	check("source: Alt+click on f", await clickFrame(page, "f", ["Alt"]));
	check("source: opens for f",
	      (await page.evaluate(() => document.body.getAttribute("data-source"))) === "f");
	const rows = await page.$$eval("#source tbody tr[data-line]", (trs) => trs.map((tr) =>
		[tr.getAttribute("data-line"), tr.cells[0].textContent, tr.cells[1].textContent,
		 tr.cells[3].textContent].join(" ")));
	const want = {
		"40": "40 60.00% 60.00% /* app.c line 40 */",
		"41": "41 0.00% 20.00% /* app.c line 41 */",
		"42": "42 20.00% 20.00% /* app.c line 42 */",
		"38": "38   /* app.c line 38 */",
	};
	for (const l of Object.keys(want))
		check("source f: line " + l + " " + want[l].slice(l.length + 1),
		      rows.includes(want[l]), rows.join(" | "));
	const note = await page.textContent("#source .panel-note");
	check("source f: names the file and first line", note.includes("app.c:40"), note);
	await page.evaluate(() => window.scorchFlamegraph.source("h"));
	const hrows = await page.$$eval("#source tbody tr[data-line]", (trs) => trs.map((tr) =>
		[tr.getAttribute("data-line"), tr.cells[0].textContent, tr.cells[1].textContent,
		 tr.cells[3].textContent].join(" ")));
	check("source h (file unreadable): line 60 at 100.00%, no text",
	      hrows.join("|") === "60 100.00% 100.00% ", hrows.join("|"));
	const hnote = await page.textContent("#source .panel-note");
	check("source h: says the file could not be read", hnote.includes("could not be read"),
	      hnote);
	await page.click("#source button");
	check("source: Close hides it", !(await page.isVisible("#source")));
	/* The tooltip: self time and file:line, on f under b (20 ms, 10 of them self: g has the
	 * rest), the frame right above b (b's only callee, as wide). */
	const box = await page.evaluate(() => window.scorchFlamegraph.find("b"));
	const r = await page.locator("#canvas").boundingBox();
	await page.mouse.move(r.x + box.x + box.w / 2, r.y + box.y - 17 + 8);
	const tip = await page.textContent("#tip");
	check("tooltip: f under b: 20 ms", tip.startsWith("f\n") &&
	      tip.includes("20.0 ms (16.67% of total)"), tip);
	check("tooltip: f under b: self 10 ms (8.33%)",
	      tip.includes("self: 10.0 ms (8.33% of total)"), tip);
	check("tooltip: f's file:line", /source: .*app\.c:40\n/.test(tip), tip);
	check("source: no errors", errors.length === 0, errors.join("; "));
	await page.close();
}

async function legend(browser) {
	const { page, errors } = await open(browser, "views.html");
	await page.setViewportSize({ width: 900, height: 160 });
	await page.selectOption("#colour", "module");
	await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
	const pos = await page.evaluate(() => [
		document.querySelector("header").getBoundingClientRect().bottom,
		document.getElementById("legend").getBoundingClientRect().top, window.scrollY]);
	check("legend: the page scrolled", pos[2] > 0, pos);
	check("legend: stays in view under the header", Math.abs(pos[0] - pos[1]) <= 1, pos);
	check("legend: no errors", errors.length === 0, errors.join("; "));
	await page.close();
}

async function huge(browser) {
	const { page, errors, ms } = await open(browser, "huge.html");
	check("250k stacks: loads without console errors (" + ms + " ms)", errors.length === 0,
	      errors.join("; "));
	const dropped = await page.evaluate(() => Number(document.body.getAttribute("data-dropped")));
	check("250k stacks: narrow frames dropped", dropped > 250000, dropped);
	check("250k stacks: the note says so", await page.isVisible("#note") &&
	      (await page.textContent("#note")).includes("narrower than one pixel"),
	      await page.textContent("#note"));
	const want = fs.readFileSync(path.join(dir, "huge.expected"), "utf8").trim();
	const m = await search(page, "^mod0_fn$");
	check("250k stacks: the wide frames keep their share (mod0_fn " + want + ")", m === want, m);
	await page.close();
}

/* A recording of tests/programs/phases: the worker thread runs phase_one, then phase_two (equal
 * work). The run's first and last 40% (a fifth around the middle left out) are each one phase;
 * shares are loose, as in tests/cli/time_threads.sh. */
async function phases(browser) {
	if (!fs.existsSync(path.join(dir, "phases/flamegraph.html"))) {
		console.log("skip: phases was not recorded");
		return;
	}
	const { page, errors } = await open(browser, "phases/flamegraph.html");
	check("phases: loads without console errors", errors.length === 0, errors.join("; "));
	const names = await page.evaluate(() => window.scorchFlamegraph.trackNames());
	check("phases: a track named worker", names.some((n) => n.startsWith("worker (")),
	      names.join("|"));
	const share = (n) => page.evaluate((x) => 100 * window.scorchFlamegraph.value(x) /
					   window.scorchFlamegraph.total(), n);
	await page.evaluate(() => window.scorchFlamegraph.brush(0, 0.4));
	const one = await share("phase_one"), two = await share("phase_two");
	check("phases: the first 40% is phase_one (>= 85%)", one >= 85 && two <= 15, [one, two]);
	await page.evaluate(() => window.scorchFlamegraph.brush(0.6, 1));
	const one2 = await share("phase_one"), two2 = await share("phase_two");
	check("phases: the last 40% is phase_two (>= 85%)", two2 >= 85 && one2 <= 15, [one2, two2]);
	await page.close();
}

run(dir, [timeline, sandwich, source, legend, huge, phases]);
