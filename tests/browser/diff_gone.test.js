/*
 * diff_gone.test.js: the differential flamegraph draws code that disappeared (diff_gone.sh writes
 * the pages). Known answers, from base main;f 50 g 30 h 20 old 10 (110) and new main;f 10 g 30
 * h 20 fresh 5 (65):
 *
 *   values.html (values compared, base_scale 1): old is gone, drawn hatched and 10 wide, so the
 *   root is 65 + 10 = 75 wide and old takes 10/75 of it; g and h did not move (pale), f shrank
 *   (blue), fresh is new (red).
 *   shares.html (--normalize): old drawn 10 x 65/110 wide; g's share grew (red).
 *
 *   node diff_gone.test.js DIR
 *
 * Prints one line per check and closes with "N passed, N failed"; exits 1 on any failure.
 */
"use strict";

const { check, open, run } = require("./lib");

const dir = process.argv[2];

/* Each named frame's box and the colour of a pixel inside it. */
function frames(page, names) {
	return page.evaluate((ns) => {
		const ctx = document.getElementById("canvas").getContext("2d");
		const out = {};
		for (const n of ns) {
			const b = window.scorchFlamegraph.find(n);
			if (!b) {
				out[n] = null;
				continue;
			}
			const px = [];
			/* a few pixels along the box's top edge, above any label: a hatch has
			 * light and dark ones */
			for (let dx = 2; dx < Math.min(b.w - 2, 14); dx += 1) {
				const d = ctx.getImageData((b.x + dx) * devicePixelRatio,
							   (b.y + 1) * devicePixelRatio, 1, 1).data;
				px.push([d[0], d[1], d[2]]);
			}
			out[n] = { x: b.x, w: b.w, px: px, gone: window.scorchFlamegraph.gone(n) };
		}
		return out;
	}, names);
}

/* Saturation follows the size of the change, so "red" and "blue" are which way it leans. */
const blue = (p) => p[2] - p[0] > 20;
const red = (p) => p[0] - p[2] > 20;
const pale = (p) => p[0] > 230 && p[1] > 230 && p[2] > 225;

async function values(browser) {
	const { page, errors } = await open(browser, "values.html");
	check("values: loads without console errors", errors.length === 0, errors.join("; "));
	check("values: one gone subtree",
	      (await page.evaluate(() => document.body.getAttribute("data-gone"))) === "1");
	const f = await frames(page, ["all", "main", "old", "f", "g", "h", "fresh"]);
	check("values: old is drawn", f.old !== null && f.old.w > 0, JSON.stringify(f.old));
	if (!f.old)
		return page.close();
	check("values: old is marked gone, g is not", f.old.gone && !f.g.gone);
	check("values: old takes 10/75 of the width", Math.abs(f.old.w / f.all.w - 10 / 75) < 0.01,
	      f.old.w / f.all.w);
	check("values: f takes 10/75", Math.abs(f.f.w / f.all.w - 10 / 75) < 0.01, f.f.w / f.all.w);
	const kinds = (px) => new Set(px.map(String)).size;
	check("values: old is hatched (pixels vary) and blue", f.old.px.every(blue) &&
	      kinds(f.old.px) > 1 && kinds(f.f.px) === 1, JSON.stringify(f.old.px));
	check("values: g and h unchanged (pale)", f.g.px.every(pale) && f.h.px.every(pale),
	      JSON.stringify([f.g.px[0], f.h.px[0]]));
	check("values: f shrank (blue)", f.f.px.every(blue), JSON.stringify(f.f.px[0]));
	check("values: fresh is new (red)", f.fresh.px.every(red), JSON.stringify(f.fresh.px[0]));
	const legend = await page.textContent("#legend");
	check("values: the legend names the gone code", legend.includes("gone: only in the base (1)"),
	      legend);
	const r = await page.locator("#canvas").boundingBox();
	await page.mouse.move(r.x + f.old.x + f.old.w / 2, r.y + 0 + (await page.evaluate(
		() => window.scorchFlamegraph.find("old").y)) + 8);
	const tip = await page.textContent("#tip");
	check("values: hovering old says it is gone",
	      tip.includes("gone: only in the base profile") && tip.includes("10 samples"), tip);
	await page.close();
}

async function shares(browser) {
	const { page, errors } = await open(browser, "shares.html");
	check("shares: loads without console errors", errors.length === 0, errors.join("; "));
	const f = await frames(page, ["all", "old", "g"]);
	const w = 10 * 65 / 110;
	check("shares: old drawn 10 x 65/110 wide", f.old !== null &&
	      Math.abs(f.old.w / f.all.w - w / (65 + w)) < 0.01, f.old && f.old.w / f.all.w);
	check("shares: g's share grew (red)", f.g !== null && f.g.px.every(red),
	      f.g && JSON.stringify(f.g.px[0]));
	await page.close();
}

run(dir, [values, shares]);
