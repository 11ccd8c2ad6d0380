/*
 * gpu_counters.test.js: the GPU metrics of scorch record --gpu drawn as rows below the threads on
 * flamegraph.html's timeline (gpu_counters.sh): four rows, in order utilization, SM activity,
 * memory (MiB) and power (W), with the scripted maxima (42, 75, 3072, 90), a line painted in the
 * utilization row, and the brush still working over the threads.
 *
 *   node gpu_counters.test.js DIR
 */
"use strict";

const { check, open, run } = require("./lib");

const dir = process.argv[2];

async function counters(browser) {
	const { page, errors } = await open(browser, "rec/flamegraph.html");
	check("counters: loads without console errors", errors.length === 0, errors.join("; "));
	const n = await page.evaluate(() => document.body.getAttribute("data-counters"));
	check("counters: 4 rows", n === "4", n);
	const rows = await page.evaluate(() => window.scorchFlamegraph.counters());
	check("counters: names in order",
	      rows.map((r) => r.name).join("|") ===
		      "GPU 0 utilization %|GPU 0 SM activity %|GPU 0 memory MiB|GPU 0 power W",
	      rows.map((r) => r.name).join("|"));
	check("counters: the scripted maxima",
	      rows[0].max === 42 && rows[1].max === 75 && rows[2].max === 3072 && rows[3].max === 90,
	      JSON.stringify(rows));
	check("counters: a point per sample (SM activity one fewer)",
	      rows[0].points >= 2 && rows[1].points === rows[0].points - 1 &&
		      rows[2].points === rows[0].points && rows[3].points === rows[0].points,
	      JSON.stringify(rows));
	const tracks = await page.evaluate(() => window.scorchFlamegraph.trackNames());
	/* The utilization line is flat at its maximum, 3 px below its row's top (rows of 26 px, the
	 * line from 3 px below the top at the maximum to 3 px above the bottom at 0), mid-plot;
	 * antialiased, so bluish rather than the line's own colour. The row's background is grey. */
	const painted = await page.evaluate((t) => {
		const c = document.getElementById("tracks");
		const dpr = window.devicePixelRatio || 1;
		const w = c.clientWidth, pw = w - 150 - 12;
		const x = 150 + 0.5 * pw, y = t * 26 + 3;
		const px = c.getContext("2d").getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
		return [px[0], px[1], px[2]];
	}, tracks.length);
	check("counters: the utilization line is painted blue", painted[2] - painted[0] > 50,
	      painted.join(","));
	await page.evaluate(() => window.scorchFlamegraph.brush(0.25, 0.5));
	const range = await page.evaluate(() => document.body.getAttribute("data-range"));
	check("counters: the brush still selects a range", !!range, String(range));
	await page.close();
}

run(dir, [counters]);
