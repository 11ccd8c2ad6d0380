/*
 * timeline.js: the flamegraph page's timeline, when the profile's samples carry times.
 *
 * Embedded after flamegraph.js (by src/report/flamegraph.c, via embed.py), it reads
 * data.timeline (flamegraph.c describes the JSON: the run cut into equal time buckets, and per
 * track, thread by thread, the value each page node got in each bucket) and draws one row per
 * track: the track's name (its thread's name, else its tid) and its activity over time, a bar
 * per bucket as tall as the bucket's value against the busiest bucket of any track.
 *
 * Dragging across the tracks (a brush) selects a time range: the flamegraph is redrawn from that
 * range's samples only (each node's value is the sum of its cells in the range, folded up the
 * tree), the range is shaded and named above the tracks; "Whole run" (or a click without a drag)
 * returns to the whole profile. Search, zoom and colours keep working on the range.
 *
 * Spans (data.timeline.spans, from scorch record --trace: a program's instrumented spans beside
 * its samples) are drawn over their thread's track as thin bars along the top, one row per
 * nesting depth (the first four), their names written in when they fit.
 *
 * Counters (data.timeline.counters, from scorch record --gpu: GPU metrics sampled beside the CPU)
 * are drawn below the threads, a row per series: its name, and a line through its points from 0
 * to the series' largest value (written at the right).
 *
 * For tests: window.scorchFlamegraph.brush(from, to) selects the range between two fractions of
 * the run (null: the whole run); <body> carries data-range ("FROM-TO" in seconds from the first
 * sample, absent for the whole run), data-spans (the spans drawn, when there are any) and
 * data-counters (the counter rows drawn, when there are any).
 */
(function () {
	"use strict";

	var T = ScorchTree, data = T.data, tl = data.timeline;
	if (!tl || !T.page)
		return;
	var N = T.N, parent = T.parent;

	var ROW = 26, NAME_W = 150, PAD = 12;
	var section = document.getElementById("timeline");
	var canvas = document.getElementById("tracks");
	var ctx = canvas.getContext("2d");
	var rangeText = document.getElementById("range");
	var whole = document.getElementById("whole");

	var B = tl.buckets, tracks = tl.tracks;
	/* Per track: the bucket, node and value of each cell (decoded from the deltas). */
	var cells = [], density = [], peak = 0;
	for (var t = 0; t < tracks.length; t++) {
		var raw = tl.cells[t] || [], n = raw.length / 3;
		var c = {b: new Int32Array(n), node: new Int32Array(n), v: new Float64Array(n)};
		var d = new Float64Array(B), b = 0;
		for (var j = 0; j < n; j++) {
			b += raw[3 * j];
			c.b[j] = b;
			c.node[j] = raw[3 * j + 1];
			c.v[j] = raw[3 * j + 2];
			d[b] += c.v[j];
		}
		for (var k = 0; k < B; k++)
			peak = Math.max(peak, d[k]);
		cells.push(c);
		density.push(d);
	}
	tl.cells = null;

	/* Spans: per span, its track, start (ns from the run's start), length, depth, name. */
	var sp = tl.spans || {names: [], data: []}, SPAN_H = 4, SPAN_DEPTHS = 4;
	var nspans = sp.data.length / 5;
	if (nspans)
		document.body.setAttribute("data-spans", String(nspans));

	/* Counters: per series, its name and (time from the run's start, value) pairs. */
	var counters = tl.counters || [];
	if (counters.length)
		document.body.setAttribute("data-counters", String(counters.length));
	var rows = tracks.length + counters.length;

	function drawCounters(pw) {
		var total = B * tl.bucket_ns;
		for (var k = 0; k < counters.length; k++) {
			var c = counters[k], d = c.data, y = (tracks.length + k) * ROW, max = 0;
			for (var i = 1; i < d.length; i += 2)
				max = Math.max(max, d[i]);
			ctx.fillStyle = k % 2 ? "#eef2f8" : "#f5f7fb";
			ctx.fillRect(0, y, width, ROW);
			ctx.fillStyle = "#333";
			var fit = Math.floor((NAME_W - 8) / 7);
			ctx.fillText(c.name.length > fit ? c.name.slice(0, fit - 2) + ".." : c.name, 4,
				     y + ROW / 2);
			ctx.strokeStyle = "#2b6cd9";
			ctx.beginPath();
			for (var j = 0; j + 1 < d.length; j += 2) {
				var x = NAME_W + Math.max(0, Math.min(1, d[j] / total)) * pw;
				var h = max > 0 ? ((ROW - 6) * d[j + 1]) / max : 0;
				if (j)
					ctx.lineTo(x, y + ROW - 3 - h);
				else
					ctx.moveTo(x, y + ROW - 3 - h);
			}
			ctx.stroke();
			ctx.fillStyle = "#666";
			ctx.textAlign = "right";
			ctx.fillText(String(Math.round(max * 100) / 100), NAME_W + pw, y + 7);
			ctx.textAlign = "left";
		}
	}

	function drawSpans(pw) {
		var total = B * tl.bucket_ns, d = sp.data;
		ctx.font = "9px system-ui, sans-serif";
		for (var i = 0; i < nspans; i++) {
			var track = d[5 * i], depth = d[5 * i + 3];
			if (depth >= SPAN_DEPTHS || track >= tracks.length)
				continue;
			var x0 = Math.max(0, d[5 * i + 1] / total);
			var x1 = Math.min(1, (d[5 * i + 1] + d[5 * i + 2]) / total);
			if (x1 < x0)
				continue;
			var x = NAME_W + x0 * pw, w = Math.max(1, (x1 - x0) * pw);
			var y = track * ROW + 1 + depth * (SPAN_H + 1);
			ctx.fillStyle = depth % 2 ? "rgba(40, 90, 200, 0.75)" : "rgba(20, 60, 160, 0.85)";
			ctx.fillRect(x, y, w, SPAN_H);
		}
		ctx.font = "12px system-ui, sans-serif";
	}

	var brush = null; /* [first, last] bucket while a range is selected */
	var drag = null; /* the bucket a drag started at */
	var width = 0;

	function seconds(bucket) {
		return (bucket * tl.bucket_ns) / 1e9;
	}

	function trackName(tr) {
		if (tr.threads)
			return tr.name;
		return tr.name ? tr.name + " (" + tr.tid + ")" : "tid " + tr.tid;
	}

	function plotW() {
		return Math.max(1, width - NAME_W - PAD);
	}

	function bucketAt(clientX) {
		var r = canvas.getBoundingClientRect();
		var x = clientX - r.left - NAME_W;
		return Math.max(0, Math.min(B - 1, Math.floor((x / plotW()) * B)));
	}

	function draw() {
		var dpr = window.devicePixelRatio || 1;
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, width, rows * ROW);
		ctx.font = "12px system-ui, sans-serif";
		ctx.textBaseline = "middle";
		var pw = plotW(), bw = pw / B;
		for (var t = 0; t < tracks.length; t++) {
			var y = t * ROW;
			ctx.fillStyle = t % 2 ? "#f6f3e8" : "#fbf9f1";
			ctx.fillRect(0, y, width, ROW);
			ctx.fillStyle = "#333";
			var name = trackName(tracks[t]);
			var fit = Math.floor((NAME_W - 8) / 7);
			ctx.fillText(name.length > fit ? name.slice(0, fit - 2) + ".." : name, 4, y + ROW / 2);
			ctx.fillStyle = "#d9622b";
			var d = density[t];
			for (var b = 0; b < B; b++) {
				if (!d[b])
					continue;
				var h = Math.max(1, ((ROW - 4) * d[b]) / peak);
				ctx.fillRect(NAME_W + b * bw, y + ROW - 2 - h, Math.max(bw, 1), h);
			}
		}
		if (nspans)
			drawSpans(pw);
		if (counters.length)
			drawCounters(pw);
		if (brush) {
			ctx.fillStyle = "rgba(40, 90, 200, 0.18)";
			ctx.fillRect(NAME_W + brush[0] * bw, 0, (brush[1] - brush[0] + 1) * bw,
				     rows * ROW);
			ctx.strokeStyle = "rgba(40, 90, 200, 0.8)";
			ctx.strokeRect(NAME_W + brush[0] * bw + 0.5, 0.5, (brush[1] - brush[0] + 1) * bw - 1,
				       rows * ROW - 1);
		}
	}

	function resize() {
		var dpr = window.devicePixelRatio || 1;
		width = canvas.clientWidth || 800;
		canvas.style.height = rows * ROW + "px";
		canvas.width = Math.round(width * dpr);
		canvas.height = Math.round(rows * ROW * dpr);
		draw();
	}

	/* The flamegraph of buckets first..last: each node's self values summed from the cells,
	 * then folded up (preorder: a node's parent comes before it). */
	function rangeValues(first, last) {
		var v = new Float64Array(N);
		for (var t = 0; t < cells.length; t++) {
			var c = cells[t];
			for (var j = 0; j < c.b.length; j++)
				if (c.b[j] >= first && c.b[j] <= last)
					v[c.node[j]] += c.v[j];
		}
		for (var i = N - 1; i > 0; i--)
			v[parent[i]] += v[i];
		return v;
	}

	function setBrush(r) {
		brush = r;
		whole.disabled = !r;
		if (r) {
			var from = seconds(r[0]).toFixed(3), to = seconds(r[1] + 1).toFixed(3);
			rangeText.textContent = "range " + from + " s \u2013 " + to + " s: drag across the " +
						"tracks for another";
			document.body.setAttribute("data-range", from + "-" + to);
			T.page.setValues(rangeValues(r[0], r[1]));
		} else {
			rangeText.textContent = "whole run, " + seconds(B).toFixed(3) + " s: drag across " +
						"the tracks to see a time range";
			document.body.removeAttribute("data-range");
			T.page.setValues(null);
		}
		draw();
	}

	canvas.addEventListener("mousedown", function (ev) {
		drag = bucketAt(ev.clientX);
		ev.preventDefault();
	});
	window.addEventListener("mousemove", function (ev) {
		if (drag === null)
			return;
		var b = bucketAt(ev.clientX);
		brush = [Math.min(drag, b), Math.max(drag, b)];
		draw();
	});
	window.addEventListener("mouseup", function (ev) {
		if (drag === null)
			return;
		var b = bucketAt(ev.clientX), a = drag;
		drag = null;
		setBrush(a === b ? null : [Math.min(a, b), Math.max(a, b)]);
	});
	whole.addEventListener("click", function () {
		setBrush(null);
	});
	window.addEventListener("resize", resize);

	window.scorchFlamegraph.brush = function (from, to) {
		if (from === null || from === undefined) {
			setBrush(null);
			return;
		}
		var a = Math.max(0, Math.min(B - 1, Math.floor(from * B)));
		var b = Math.max(a, Math.min(B - 1, Math.ceil(to * B) - 1));
		setBrush([a, b]);
	};
	window.scorchFlamegraph.trackNames = function () {
		return tracks.map(trackName);
	};
	/* For tests: the counter rows as {name, points, max}. */
	window.scorchFlamegraph.counters = function () {
		return counters.map(function (c) {
			var max = 0;
			for (var i = 1; i < c.data.length; i += 2)
				max = Math.max(max, c.data[i]);
			return {name: c.name, points: c.data.length / 2, max: max};
		});
	};
	/* For tests: the spans of track t as {name, depth, from, to} (fractions of the run). */
	window.scorchFlamegraph.spans = function (t) {
		var out = [], total = B * tl.bucket_ns;
		for (var i = 0; i < nspans; i++)
			if (sp.data[5 * i] === t)
				out.push({name: sp.names[sp.data[5 * i + 4]], depth: sp.data[5 * i + 3],
					  from: sp.data[5 * i + 1] / total,
					  to: (sp.data[5 * i + 1] + sp.data[5 * i + 2]) / total});
		return out;
	};

	section.hidden = false;
	resize();
	setBrush(null);
})();
