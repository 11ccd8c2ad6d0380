/*
 * pages.test.js: checks scorch's HTML pages in headless Chromium, as a person would use them.
 *
 *   node pages.test.js DIR     (DIR as run.sh fills it: flamegraph.html, diff.html, set/, big.*)
 *
 * Every page must load without a console error or an uncaught exception. Known answers come from
 * tests/browser/profile.folded (100 samples):
 *
 *   main;parse;lex 20   main;parse 10   main;compute;matmul 40   main;compute;memcpy 15
 *   main;io;write 15
 *
 * so a search for ^(parse|lex)$ matches 30.00% (lex inside parse counts once), compute's callees
 * are matmul 72.73% and memcpy 27.27% of its 55 samples, and matmul's only caller is compute.
 * Prints one line per check and closes with "N passed, N failed"; exits 1 on any failure.
 */
"use strict";

const path = require("path");
const fs = require("fs");
const { check, open, search, clickFrame, run } = require("./lib");

const dir = process.argv[2];

async function flamegraph(browser) {
	const { page, errors } = await open(browser, "flamegraph.html");
	check("flamegraph: loads without console errors", errors.length === 0, errors.join("; "));
	check("flamegraph: starts unzoomed",
	      (await page.evaluate(() => document.body.getAttribute("data-zoom"))) === "all");
	let m = await search(page, "^(parse|lex)$");
	check("flamegraph: search ^(parse|lex)$ reports 30.00%", m === "30.00%", m);
	const text = await page.textContent("#matched");
	check("flamegraph: the share is shown", text === "matched: 30.00% of total", text);
	m = await search(page, "memcpy");
	check("flamegraph: search memcpy reports 15.00%", m === "15.00%", m);
	const colour = await page.evaluate(() => {
		const b = window.scorchFlamegraph.find("memcpy");
		const px = document.getElementById("canvas").getContext("2d")
			.getImageData((b.x + 2) * devicePixelRatio, (b.y + 2) * devicePixelRatio, 1, 1).data;
		return [px[0], px[1], px[2]];
	});
	check("flamegraph: matches are highlighted", colour.join(",") === "194,63,194", colour);
	await search(page, "");
	check("flamegraph: click zooms", await clickFrame(page, "compute"));
	const zoom = await page.evaluate(() => document.body.getAttribute("data-zoom"));
	check("flamegraph: zoomed into compute", zoom === "compute", zoom);
	const wide = await page.evaluate(() => window.scorchFlamegraph.find("matmul").w);
	const full = await page.evaluate(() => window.scorchFlamegraph.find("compute").w);
	check("flamegraph: zoom widens compute's children (matmul 40/55 of the width)",
	      Math.abs(wide / full - 40 / 55) < 0.01, wide / full);
	await page.keyboard.press("Escape");
	check("flamegraph: Escape resets the zoom",
	      (await page.evaluate(() => document.body.getAttribute("data-zoom"))) === "all");
	await page.click("#flip");
	const ic = await page.evaluate(() => [window.scorchFlamegraph.icicle(),
					      window.scorchFlamegraph.find("all").y]);
	check("flamegraph: icicle puts the root on top", ic[0] === true && ic[1] === 0, ic);
	await clickFrame(page, "io");
	check("flamegraph: click zooms in the icicle view",
	      (await page.evaluate(() => document.body.getAttribute("data-zoom"))) === "io");
	await page.selectOption("#colour", "module");
	check("flamegraph: colour by module shows a legend",
	      await page.isVisible("#legend") && (await page.textContent("#legend")).includes("100.00%"));
	check("flamegraph: no errors after interaction", errors.length === 0, errors.join("; "));
	await page.close();
}

async function diff(browser) {
	const { page, errors } = await open(browser, "diff.html");
	check("diff: loads without console errors", errors.length === 0, errors.join("; "));
	check("diff: coloured by change", (await page.inputValue("#colour")) === "change");
	const legend = await page.textContent("#legend");
	check("diff: legend gives the largest change", legend.includes("grew (+20.00 pts)"), legend);
	const c = await page.evaluate(() => {
		const ctx = document.getElementById("canvas").getContext("2d");
		const at = (n) => {
			const b = window.scorchFlamegraph.find(n);
			const d = ctx.getImageData((b.x + 2) * devicePixelRatio,
						   (b.y + 2) * devicePixelRatio, 1, 1).data;
			return [d[0], d[1], d[2]];
		};
		return { a: at("a"), b: at("b") };
	});
	check("diff: b (grew) is red", c.b[0] > 200 && c.b[2] < 100, c.b);
	check("diff: a (shrank) is blue", c.a[2] > 200 && c.a[0] < 100, c.a);
	await page.close();
}

async function butterfly(browser) {
	const { page, errors } = await open(browser, "set/butterfly.html");
	const focus = () => page.evaluate(() => document.body.getAttribute("data-focus"));
	check("butterfly: loads without console errors", errors.length === 0, errors.join("; "));
	check("butterfly: opens on the hottest function (matmul)", (await focus()) === "matmul");
	const callers = await page.textContent("#callers tbody");
	check("butterfly: matmul's caller is compute, 100%",
	      callers.includes("100.00%") && callers.includes("compute"), callers);
	await page.click('#callers a[data-name="compute"]');
	await page.waitForFunction(() => document.body.getAttribute("data-focus") === "compute");
	check("butterfly: clicking a caller moves the view to it", (await focus()) === "compute");
	const rows = await page.$$eval("#callees tbody tr", (trs) =>
		trs.map((tr) => tr.cells[0].textContent + " " + tr.cells[3].textContent.trim()));
	check("butterfly: compute's callees are matmul 72.73% and memcpy 27.27%",
	      rows.join("|") === "72.73% matmul|27.27% memcpy", rows.join("|"));
	await page.click('#callers a[data-name="main"]');
	await page.waitForFunction(() => document.body.getAttribute("data-focus") === "main");
	check("butterfly: and again to main", (await focus()) === "main");
	await page.goBack();
	await page.waitForFunction(() => document.body.getAttribute("data-focus") === "compute");
	check("butterfly: Back returns to compute", (await focus()) === "compute");
	await page.fill("#search", "^wri");
	await page.press("#search", "Enter");
	await page.waitForFunction(() => document.body.getAttribute("data-focus") === "write");
	check("butterfly: search + Enter shows the match", (await focus()) === "write");
	check("butterfly: no errors after interaction", errors.length === 0, errors.join("; "));
	await page.close();
}

async function big(browser) {
	const { page, errors, ms } = await open(browser, "big.html");
	check("100k stacks: loads without console errors (" + ms + " ms)", errors.length === 0,
	      errors.join("; "));
	const want = fs.readFileSync(path.join(dir, "big.expected"), "utf8").trim();
	const t0 = Date.now();
	const m = await search(page, "^mod0_fn$");
	check("100k stacks: search reports " + want + " (" + (Date.now() - t0) + " ms)", m === want, m);
	const info = await page.textContent("#info");
	check("100k stacks: all frames are in the page", info.includes("110,101 frames"), info);
	const merged = await page.evaluate(() => {
		/* Narrow leaves must be merged into boxes, not dropped. */
		const r = document.getElementById("canvas").getBoundingClientRect();
		return r.width > 0;
	});
	check("100k stacks: canvas drawn", merged);
	await search(page, "");
	await clickFrame(page, "mod1_fn");
	check("100k stacks: click zooms",
	      (await page.evaluate(() => document.body.getAttribute("data-zoom"))) === "mod1_fn");
	await page.close();
}

async function many(browser) {
	const { page, errors } = await open(browser, "many/butterfly.html");
	check("30 functions: butterfly loads without console errors", errors.length === 0,
	      errors.join("; "));
	const n = await page.$$eval("#top li", (lis) => lis.length);
	check("30 functions: the side bar lists all 30 (more than --top 10)", n === 30, n);
	const fit = await page.evaluate(() => {
		const bar = document.getElementById("list");
		const li = [...document.querySelectorAll("#top li")].find((x) =>
			x.textContent.includes("ns::Matrix"));
		return li ? [li.scrollWidth, bar.clientWidth, li.offsetHeight] : null;
	});
	check("30 functions: the long C++ name wraps inside the side bar",
	      fit !== null && fit[0] <= fit[1] && fit[2] > 40, fit);
	await page.close();
}

run(dir, [flamegraph, diff, butterfly, big, many]);
