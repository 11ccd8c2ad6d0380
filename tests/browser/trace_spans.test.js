/*
 * trace_spans.test.js: spans drawn on the timeline tracks of the page scorch record --trace
 * writes for tests/programs/trace_known (trace_spans.sh): 24 spans; main's track holds run (depth
 * 0), 3 outer (1), 6 inner (2) and 4 spin (1), each inner inside an outer; worker-1 and worker-2,
 * which only sleep, have tracks with their 5 "work" spans each; and the canvas is painted in the
 * spans' colour where the first outer span is.
 *
 *   node trace_spans.test.js DIR
 */
"use strict";

const { check, open, run } = require("./lib");

const dir = process.argv[2];

async function spans(browser) {
	const { page, errors } = await open(browser, "rec/flamegraph.html");
	check("spans: loads without console errors", errors.length === 0, errors.join("; "));
	const n = await page.evaluate(() => document.body.getAttribute("data-spans"));
	check("spans: 24 spans on the page", n === "24", n);
	const names = await page.evaluate(() => window.scorchFlamegraph.trackNames());
	const track = (name) => names.findIndex((x) => x.startsWith(name + " ("));
	check("spans: tracks for main, worker-1 and worker-2",
	      track("main") >= 0 && track("worker-1") >= 0 && track("worker-2") >= 0, names.join("|"));
	const of = (t) => page.evaluate((x) => window.scorchFlamegraph.spans(x), t);
	const main = await of(track("main"));
	const count = (list, name, depth) => list.filter((s) => s.name === name && s.depth === depth).length;
	check("spans: main has run, 3 outer, 6 inner, 4 spin",
	      count(main, "run", 0) === 1 && count(main, "outer", 1) === 3 &&
		      count(main, "inner", 2) === 6 && count(main, "spin", 1) === 4,
	      JSON.stringify(main.map((s) => s.name + "@" + s.depth)));
	const outers = main.filter((s) => s.name === "outer");
	check("spans: each inner lies in an outer",
	      main.filter((s) => s.name === "inner").every((i) =>
		      outers.some((o) => o.from <= i.from && i.to <= o.to + 1e-9)));
	check("spans: within the run", main.every((s) => s.from >= 0 && s.to <= 1 + 1e-9));
	for (const w of ["worker-1", "worker-2"]) {
		const ws = await of(track(w));
		check("spans: " + w + " has 5 work spans", count(ws, "work", 0) === 5 && ws.length === 5,
		      JSON.stringify(ws));
	}
	/* The pixel in the middle of the first outer span's bar (plot from x = 150 to width - 12;
	 * bars from y = 1 + depth * 5, 4 px tall, in the track's row of 26 px). */
	const o = outers[0];
	const painted = await page.evaluate(([t, o]) => {
		const c = document.getElementById("tracks");
		const dpr = window.devicePixelRatio || 1;
		const w = c.clientWidth, pw = w - 150 - 12;
		const x = 150 + ((o.from + o.to) / 2) * pw, y = t * 26 + 1 + o.depth * 5 + 2;
		const px = c.getContext("2d").getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
		return [px[0], px[1], px[2]];
	}, [track("main"), o]);
	check("spans: the outer span's bar is painted blue", painted[2] > 120 && painted[0] < 120,
	      painted.join(","));
	await page.close();
}

run(dir, [spans]);
