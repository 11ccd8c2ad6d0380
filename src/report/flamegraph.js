/*
 * flamegraph.js: the renderer of scorch's flamegraph page (plain and differential).
 *
 * Embedded into the page by src/report/flamegraph.c (via embed.py at build time) after tree.js,
 * which has already read the profile (ScorchTree: the call tree in preorder with descendant
 * counts; flamegraph.c's opening comment describes the JSON).
 *
 * Drawing: one canvas, widths proportional to value; root at the bottom (flame graph) or on top
 * (icicle), toggled with the "Icicle" button or "i". A frame narrower than MIN_WIDTH pixels is
 * not drawn on its own: each run of such siblings is drawn as one grey, hatched box (hover says how
 * many frames it holds and their cost), and nothing above it is drawn. Because preorder plus
 * descendant counts lets the walk jump over a subtree in one step, a redraw costs about (canvas
 * width x depth) however many nodes the profile has.
 *
 * Colours (the "colour" menu): "name" (warm colours, one family per module; blues for the
 * "[off-cpu]" pseudo-module of off-CPU and wall profiles), "module" (one hue
 * per module, with a legend of the modules' self shares), "component" when the page has
 * components (the component most of a frame's cost belongs to, legend with their shares), and in
 * a differential page "change" (red: the frame grew, blue: shrank, white: unchanged; saturation
 * relative to the largest change, shown in the legend). A change is new - base x base_scale in
 * percent of the scaled base total: with base_scale total / base_total (shares, the default) the
 * change of the frame's share, with base_scale 1 (scorch diff comparing values) the change of its
 * value. Code only the base has ("gone": no value in the new profile) is drawn too, hatched
 * blue, as wide as its base value x base_scale: widths are the new value plus the gone code
 * under a frame.
 *
 * Interaction: hover shows name, module, value and share; click zooms into a frame (its
 * ancestors stay drawn full width, dimmed, and clicking one zooms out to it); the search box
 * takes a regex, highlights matching frames and reports their share of the total, counting each
 * sample once even when matches nest; "Reset zoom" or Escape returns to the whole profile; "/"
 * focuses the search box.
 *
 * Clicking a frame also selects it: the "Sandwich" and "Source" buttons (or "s" and "a") open
 * the selected function's panels (panels.js); Shift+click and Alt+click open them directly, and
 * Enter in the search box opens the sandwich of the costliest matching function. The
 * tooltip gives the frame's self cost and its function's file:line when the profile has them.
 * The legend stays in view under the header when the page scrolls. A page whose tree was too
 * big keeps only frames wider than a pixel at full width (flamegraph.c) and says so in #note.
 *
 * For the scripts embedded after this one (timeline.js, panels.js), ScorchTree.page has
 * setValues(v) (draw with these inclusive values per node, e.g. a time range's; null: the
 * profile's own), selected(), select(i), colourOf(i), onSelect(fn) and describeValue(i).
 *
 * For tests and tools, window.scorchFlamegraph has find(name) (the first drawn box of that name:
 * {x, y, w} in canvas pixels), zoomed() (the zoomed frame's name), icicle(), gone(name)
 * (whether the frame of that name is drawn as gone code), total() (the root's value as drawn)
 * and value(name) (the cost under frames of that name, each sample once); <body> carries
 * data-zoom, data-matched, data-total and, in a differential page, data-gone (how many gone
 * subtrees are drawn) attributes.
 */
(function () {
	"use strict";

	var T = ScorchTree, data = T.data;
	var N = T.N, key = T.key, val = T.val, size = T.size, depth = T.depth, parent = T.parent;
	var base = T.base, names = data.names, modules = data.modules, keyModule = data.mod;
	var label = T.label, moduleOf = T.moduleOf, fmt = T.fmt, pct = T.pct, hash = T.hash;

	var ROW = 17; /* px per frame row */
	var MIN_WIDTH = 0.5; /* px below which a frame is merged with its narrow siblings */
	var LABEL_MIN = 28; /* px a frame needs to carry a label */
	var MATCH_COLOUR = "#c23fc2";
	var ROOT_COLOUR = "#d9d2bd";
	var MERGED_COLOUR = "#bdbab0";
	var OTHER_COLOUR = "#c8c4b8";
	var LEGEND_MAX = 12; /* modules named in the legend; the rest are "other modules" */

	var canvas = document.getElementById("canvas");
	var ctx = canvas.getContext("2d");
	var tip = document.getElementById("tip");
	var details = document.getElementById("details");
	var search = document.getElementById("search");
	var matched = document.getElementById("matched");
	var resetButton = document.getElementById("reset");
	var flipButton = document.getElementById("flip");
	var colourMenu = document.getElementById("colour");
	var legend = document.getElementById("legend");
	var info = document.getElementById("info");
	var header = document.querySelector("header");
	var note = document.getElementById("note");

	var zoom = 0; /* node drawn full width */
	var selected = -1; /* the last frame clicked, for the panels */
	var selectHooks = [];
	var ownVal = Float64Array.from(val); /* the profile's values, while val may hold a range's */
	var icicle = !!data.icicle;
	var matchKey = null; /* Uint8Array over keys while a search is active */
	var rows = []; /* rows[d]: boxes drawn at depth d, as flat [x, w, node, ...] */
	var merged = []; /* merged runs drawn: {count, value, first}; node -2 - index in rows */
	var width = 0, height = 0, charWidth = 7;
	var mode = data.diff ? "change" : data.groups ? "component" : "name";
	var colours = {}; /* mode -> per key or per node cache */
	var moduleColour = null; /* module index -> colour, for "module" mode */
	var maxDelta = 0; /* largest |change| in points, for "change" mode */
	var hatch = null, goneHatch = null;
	var GONE_CSS = "repeating-linear-gradient(135deg,#9db7f5 0 3px,#e4ebfb 3px 6px)";

	/* Base values x S compare with new ones (flamegraph.c: base_scale). */
	var S = !base ? 1 : data.base_scale !== undefined ? data.base_scale
			: data.base_total > 0 ? data.total / data.base_total : 1;
	/* wid[i]: the width node i is drawn at, its new value plus the gone code under it (a
	 * frame with no new value but a base one is gone, as wide as its base value x S). */
	var wid = val, goneRoots = 0;
	if (base) {
		wid = new Float64Array(N);
		var under = new Float64Array(N);
		for (var g = N - 1; g >= 0; g--) {
			var gw = gone(g) ? base[g] * S : under[g];
			wid[g] = val[g] + gw;
			if (parent[g] >= 0)
				under[parent[g]] += gw;
			if (gone(g) && !gone(parent[g]))
				goneRoots++;
		}
	}

	function gone(i) {
		return base !== null && i >= 0 && val[i] === 0 && base[i] > 0;
	}

	/* Change of node i, in points of the scaled base total: with shares, of its share of its
	 * profile's total. */
	function delta(i) {
		if (S !== 1 || data.base_scale === undefined) {
			var now = data.total > 0 ? (100 * val[i]) / data.total : 0;
			var was = data.base_total > 0 ? (100 * base[i]) / data.base_total : 0;
			return now - was;
		}
		return data.base_total > 0 ? (100 * (val[i] - base[i])) / data.base_total : 0;
	}

	function mix(a, b, t) {
		return Math.round(a + (b - a) * t);
	}

	function warm(k) {
		var m = hash(modules[keyModule[k]]), n = hash(names[k]);
		/* Off-CPU time (scorch record --mode offcpu, wall): cool blues, apart from code. */
		if (modules[keyModule[k]] === "[off-cpu]")
			return "hsl(" + Math.round(200 + n * 30) + ",55%," + Math.round(62 + n * 10) + "%)";
		var hue = Math.round(m * 36 + n * 16);
		var sat = 72 + Math.round(((n * 7) % 1) * 22);
		var light = 52 + Math.round(((m * 13) % 1) * 6) + Math.round(((n * 17) % 1) * 10);
		return "hsl(" + hue + "," + sat + "%," + light + "%)";
	}

	/* Distinct hues spread by the golden angle, in order of rank. */
	function paletteColour(rank) {
		var hue = Math.round((rank * 137.508 + 20) % 360);
		return "hsl(" + hue + ",62%," + (rank % 2 ? 62 : 70) + "%)";
	}

	function colour(i) {
		var k = key[i];
		if (k < 0)
			return ROOT_COLOUR;
		if (matchKey && matchKey[k])
			return MATCH_COLOUR;
		if (gone(i))
			return goneHatch;
		if (mode === "change") {
			var d = delta(i), t = maxDelta > 0 ? Math.min(1, Math.abs(d) / maxDelta) : 0;
			if (Math.abs(d) < 0.005)
				t = 0;
			/* From a light neutral (unchanged) to red (grew) or blue (shrank). */
			return d >= 0 ? "rgb(" + mix(245, 255, t) + "," + mix(243, 60, t) + "," +
						mix(238, 50, t) + ")"
				      : "rgb(" + mix(245, 60, t) + "," + mix(243, 110, t) + "," +
						mix(238, 255, t) + ")";
		}
		if (mode === "component")
			return paletteColour(data.grp[i]);
		if (mode === "module")
			return moduleColour[keyModule[k]];
		var c = colours.name[k];
		if (!c)
			c = colours.name[k] = warm(k);
		return c;
	}

	function rowY(d) {
		return icicle ? d * ROW : height - (d + 1) * ROW;
	}

	function box(i, x, w, ancestor) {
		var d = depth[i], y = rowY(d);
		ctx.globalAlpha = ancestor ? 0.55 : 1;
		ctx.fillStyle = colour(i);
		ctx.fillRect(x, y, w > 2 ? w - 1 : w, ROW - 1);
		if (w >= LABEL_MIN) {
			var fit = Math.floor((w - 6) / charWidth), s = label(i);
			if (fit >= 3) {
				if (s.length > fit)
					s = s.slice(0, fit - 2) + "..";
				ctx.fillStyle = "#000";
				ctx.fillText(s, x + 3, y + ROW / 2);
			}
		}
		rows[d].push(x, w, i);
	}

	/* A run of siblings each too narrow to draw, as one box. */
	function mergedBox(d, x, w, count, value, first) {
		var y = rowY(d);
		ctx.globalAlpha = 1;
		ctx.fillStyle = hatch || MERGED_COLOUR;
		ctx.fillRect(x, y, w > 2 ? w - 1 : w, ROW - 1);
		rows[d].push(x, w, -2 - merged.length);
		merged.push({count: count, value: value, first: first});
	}

	function drawSubtree(i, x, scale) {
		box(i, x, wid[i] * scale, false);
		var end = i + size[i], d = depth[i] + 1;
		var runX = 0, runW = 0, runN = 0, runV = 0, runFirst = -1;
		for (var c = i + 1; c <= end; c += size[c] + 1) {
			var w = Math.max(wid[c] * scale, 0);
			if (w >= MIN_WIDTH) {
				if (runN && runW >= MIN_WIDTH)
					mergedBox(d, runX, runW, runN, runV, runFirst);
				runN = 0;
				drawSubtree(c, x, scale);
			} else if (w > 0) {
				if (!runN) {
					runX = x;
					runW = runV = 0;
					runFirst = c;
				}
				runN++;
				runW += w;
				runV += val[c];
			}
			x += w;
		}
		if (runN && runW >= MIN_WIDTH)
			mergedBox(d, runX, runW, runN, runV, runFirst);
	}

	function draw() {
		ctx.setTransform(1, 0, 0, 1, 0, 0);
		ctx.clearRect(0, 0, canvas.width, canvas.height);
		var dpr = window.devicePixelRatio || 1;
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.font = "12px ui-monospace, Menlo, Consolas, monospace";
		ctx.textBaseline = "middle";
		charWidth = ctx.measureText("mmmmmmmmmm").width / 10 || 7;
		rows = [];
		merged = [];
		for (var d = 0; d <= T.maxDepth; d++)
			rows.push([]);
		for (var a = parent[zoom]; a >= 0; a = parent[a])
			box(a, 0, width, true);
		drawSubtree(zoom, 0, wid[zoom] > 0 ? width / wid[zoom] : 0);
		ctx.globalAlpha = 1;
		resetButton.disabled = zoom === 0;
		flipButton.textContent = icicle ? "Flame" : "Icicle";
		document.body.setAttribute("data-zoom", label(zoom));
	}

	function makeHatch() {
		var c = document.createElement("canvas");
		c.width = c.height = 6;
		var g = c.getContext("2d");
		g.fillStyle = MERGED_COLOUR;
		g.fillRect(0, 0, 6, 6);
		g.strokeStyle = "#a19d92";
		g.beginPath();
		g.moveTo(0, 6);
		g.lineTo(6, 0);
		g.stroke();
		hatch = ctx.createPattern(c, "repeat");
		var b = document.createElement("canvas");
		b.width = b.height = 6;
		g = b.getContext("2d");
		g.fillStyle = "#e4ebfb";
		g.fillRect(0, 0, 6, 6);
		g.strokeStyle = "#7f9ef0";
		g.lineWidth = 2;
		g.beginPath();
		g.moveTo(0, 6);
		g.lineTo(6, 0);
		g.stroke();
		goneHatch = ctx.createPattern(b, "repeat");
	}

	function resize() {
		var dpr = window.devicePixelRatio || 1;
		legend.style.top = header.offsetHeight + "px";
		width = canvas.clientWidth || 800;
		height = (T.maxDepth + 1) * ROW;
		canvas.style.height = height + "px";
		canvas.width = Math.round(width * dpr);
		canvas.height = Math.round(height * dpr);
		draw();
	}

	/* The node (>= 0), merged run (<= -2) or nothing (-1) drawn under a mouse event. */
	function hit(ev) {
		var r = canvas.getBoundingClientRect();
		var x = ev.clientX - r.left, y = ev.clientY - r.top;
		var d = icicle ? Math.floor(y / ROW) : Math.floor((height - 1 - y) / ROW);
		var row = rows[d];
		if (!row)
			return -1;
		for (var j = 0; j < row.length; j += 3)
			if (x >= row[j] && x < row[j] + row[j + 1])
				return row[j + 2];
		return -1;
	}

	/* "file:line" of the function shown by node i, "" when unknown. */
	function where(i) {
		var k = key[i];
		if (k < 0 || !data.file || data.file[k] < 0)
			return "";
		return data.files[data.file[k]] + (data.line[k] > 0 ? ":" + data.line[k] : "");
	}

	function describe(i) {
		if (gone(i))
			return "gone: only in the base profile, " + fmt(base[i]) + " (" +
			       pct(base[i], data.base_total) + " of the base total); drawn as wide as " +
			       (S === 1 ? "its base value" : "its base share");
		var s = fmt(val[i]) + " (" + pct(val[i], val[0]) + " of total";
		if (zoom !== 0 && i !== zoom && parent[zoom] >= 0 && depth[i] > depth[zoom])
			s += ", " + pct(val[i], val[zoom]) + " of " + label(zoom);
		s += ")";
		if (base) {
			var d = delta(i);
			s += "; base " + (S === 1 ? fmt(base[i]) + " = " : "") +
			     pct(base[i], data.base_total) + " \u2192 new " + pct(val[i], data.total) +
			     " (" + (d >= 0 ? "+" : "") + d.toFixed(2) + " pts)" +
			     (base[i] === 0 && i > 0 ? "; new: only in the new profile" : "");
		}
		return s;
	}

	function placeTip(ev) {
		tip.hidden = false;
		var x = ev.clientX + 14, y = ev.clientY + 14;
		var w = tip.offsetWidth, h = tip.offsetHeight;
		if (x + w > window.innerWidth - 4)
			x = Math.max(4, ev.clientX - w - 14);
		if (y + h > window.innerHeight - 4)
			y = Math.max(4, ev.clientY - h - 14);
		tip.style.left = x + "px";
		tip.style.top = y + "px";
	}

	function showTip(i, ev) {
		if (i <= -2) {
			var m = merged[-2 - i];
			var s = m.count + " frames too narrow to draw, merged: " + fmt(m.value) + " (" +
				pct(m.value, val[0]) + " of total); click to zoom into their caller";
			tip.textContent = s;
			details.textContent = s;
			placeTip(ev);
			return;
		}
		var mod = moduleOf(i);
		var comp = data.groups ? data.groups[data.grp[i]] : "";
		var src = where(i);
		tip.textContent = label(i) + "\n" + (mod ? "module: " + mod + "\n" : "") +
				  (src ? "source: " + src + "\n" : "") +
				  (comp ? "component: " + comp + "\n" : "") + describe(i) +
				  (i > 0 && !gone(i) ? "\nself: " + fmt(T.selfOf(i)) + " (" +
				   pct(T.selfOf(i), val[0]) + " of total)" : "");
		placeTip(ev);
		details.textContent = label(i) + (mod ? "  [" + mod + "]" : "") + "  " + describe(i);
	}

	function hideTip() {
		tip.hidden = true;
		canvas.style.cursor = "";
		details.textContent = "\u00a0";
	}

	/* Selects frame i for the panels; `open` names the panel to show ("sandwich", "source"). */
	function select(i, open) {
		selected = i;
		for (var h = 0; h < selectHooks.length; h++)
			selectHooks[h](i, open || "");
	}

	/* Draws with inclusive values v per node (a time range's), or the profile's own (null). */
	function setValues(v) {
		val.set(v || ownVal);
		if (val[zoom] <= 0)
			zoom = 0;
		if (matchKey) {
			var share = pct(matchedTotal(), val[0]);
			matched.textContent = "matched: " + share + " of total";
			document.body.setAttribute("data-matched", share);
		}
		showInfo();
		draw();
	}

	function showInfo() {
		info.textContent = "total " + fmt(val[0]) + ", " + T.group(String(N - 1)) + " frames" +
				   (base ? " (base total " + fmt(data.base_total) + (goneRoots ? "; " +
				   goneRoots + " gone, hatched" : "") + ")" : "");
		document.body.setAttribute("data-total", String(val[0]));
	}

	function setZoom(i) {
		zoom = i;
		draw();
	}

	/* Share of the total under frames matching the search, each sample once: a matching frame's
	 * value covers everything above it, so its subtree is skipped. */
	function matchedTotal() {
		var sum = 0;
		for (var i = 1; i < N;) {
			if (matchKey[key[i]]) {
				sum += val[i];
				i += size[i] + 1;
			} else {
				i++;
			}
		}
		return sum;
	}

	function applySearch() {
		var q = search.value;
		matchKey = null;
		search.classList.remove("invalid");
		matched.textContent = "";
		document.body.removeAttribute("data-matched");
		if (q) {
			var re = null;
			try {
				re = new RegExp(q);
			} catch (e) {
				search.classList.add("invalid");
				matched.textContent = "invalid regex";
			}
			if (re) {
				matchKey = new Uint8Array(names.length);
				for (var k = 0; k < names.length; k++)
					if (re.test(names[k]))
						matchKey[k] = 1;
				var share = pct(matchedTotal(), val[0]);
				matched.textContent = "matched: " + share + " of total";
				document.body.setAttribute("data-matched", share);
			}
		}
		draw();
	}

	/* Self cost per module, for the legend and the module palette (largest first). */
	function moduleShares() {
		var self = new Float64Array(modules.length);
		for (var i = 1; i < N; i++)
			self[keyModule[key[i]]] += T.selfOf(i);
		var order = [];
		for (var m = 0; m < modules.length; m++)
			order.push(m);
		order.sort(function (a, b) {
			return self[b] - self[a] || (modules[a] < modules[b] ? -1 : 1);
		});
		return {self: self, order: order};
	}

	function legendItem(colourCss, text) {
		var item = document.createElement("span");
		item.className = "item";
		var sw = document.createElement("span");
		sw.className = "swatch";
		sw.style.background = colourCss;
		item.appendChild(sw);
		item.appendChild(document.createTextNode(text));
		legend.appendChild(item);
	}

	function buildLegend() {
		legend.textContent = "";
		legend.hidden = mode === "name";
		if (mode === "module") {
			var ms = moduleShares(), rest = 0;
			moduleColour = [];
			for (var r = 0; r < ms.order.length; r++) {
				var m = ms.order[r];
				if (r < LEGEND_MAX) {
					moduleColour[m] = paletteColour(r);
					legendItem(moduleColour[m], (modules[m] === "?" ? "(unknown)"
							: modules[m]) + " " + pct(ms.self[m], val[0]));
				} else {
					moduleColour[m] = OTHER_COLOUR;
					rest += ms.self[m];
				}
			}
			if (ms.order.length > LEGEND_MAX)
				legendItem(OTHER_COLOUR, "other modules " + pct(rest, val[0]));
		} else if (mode === "component") {
			for (var g = 0; g < data.groups.length; g++)
				legendItem(paletteColour(g), data.groups[g] + " " +
						pct(data.group_totals[g], val[0]));
		} else if (mode === "change") {
			legendItem("rgb(60,110,255)", "shrank (\u2212" + maxDelta.toFixed(2) + " pts)");
			legendItem("rgb(245,243,238)", "unchanged");
			legendItem("rgb(255,60,50)", "grew (+" + maxDelta.toFixed(2) + " pts)");
			legendItem(MERGED_COLOUR, "merged narrow frames");
			var note = document.createElement("span");
			note.className = "note";
			note.textContent = "widths: new profile, plus code only the base has; colour: " +
					   (S === 1 ? "change of each frame's value, in points of the base total"
						    : "change of each frame's share of its profile's total") +
					   " (base total " + fmt(data.base_total) + ")";
			legend.appendChild(note);
		}
		if (mode !== "change" && mode !== "name")
			legendItem(MERGED_COLOUR, "merged narrow frames");
		if (base && goneRoots) {
			legend.hidden = false;
			legendItem(GONE_CSS, "gone: only in the base (" + goneRoots + ")");
		}
	}

	function setMode(m) {
		mode = m;
		colourMenu.value = m;
		buildLegend();
		draw();
	}

	(function setupColours() {
		colours.name = [];
		var opts = [["name", "by name"], ["module", "by module"]];
		if (data.groups)
			opts.push(["component", "by component"]);
		if (base) {
			opts.push(["change", "by change"]);
			for (var i = 1; i < N; i++)
				maxDelta = Math.max(maxDelta, Math.abs(delta(i)));
		}
		for (var j = 0; j < opts.length; j++) {
			var o = document.createElement("option");
			o.value = opts[j][0];
			o.textContent = opts[j][1];
			colourMenu.appendChild(o);
		}
	})();

	canvas.addEventListener("mousemove", function (ev) {
		var i = hit(ev);
		if (i === -1) {
			hideTip();
			return;
		}
		canvas.style.cursor = "pointer";
		showTip(i, ev);
	});
	canvas.addEventListener("mouseleave", hideTip);
	canvas.addEventListener("click", function (ev) {
		var i = hit(ev);
		if (i <= -2)
			i = parent[merged[-2 - i].first];
		if (i < 0)
			return;
		select(i, ev.shiftKey ? "sandwich" : ev.altKey ? "source" : "");
		if (!ev.shiftKey && !ev.altKey && i !== zoom) {
			setZoom(i);
			showTip(i, ev);
		}
	});
	resetButton.addEventListener("click", function () {
		setZoom(0);
	});
	flipButton.addEventListener("click", function () {
		icicle = !icicle;
		draw();
	});
	colourMenu.addEventListener("change", function () {
		setMode(colourMenu.value);
	});
	var searchTimer = 0;
	search.addEventListener("input", function () {
		clearTimeout(searchTimer);
		searchTimer = setTimeout(applySearch, 150);
	});
	/* Enter: the sandwich of the matching function with the largest cost (each sample once). */
	search.addEventListener("keydown", function (ev) {
		if (ev.key !== "Enter")
			return;
		clearTimeout(searchTimer);
		applySearch();
		if (!matchKey)
			return;
		var cost = new Float64Array(names.length), first = new Int32Array(names.length).fill(-1);
		var on = new Int32Array(names.length); /* frames of each key on the current path */
		var path = [];
		for (var i = 1; i < N; i++) {
			while (path.length && path[path.length - 1] + size[path[path.length - 1]] < i)
				on[key[path.pop()]]--;
			var k = key[i];
			if (matchKey[k] && !on[k] && val[i] > 0) {
				cost[k] += val[i];
				if (first[k] < 0)
					first[k] = i;
			}
			on[k]++;
			path.push(i);
		}
		var best = -1;
		for (var j = 0; j < names.length; j++)
			if (first[j] >= 0 && (best < 0 || cost[j] > cost[best]))
				best = j;
		if (best >= 0)
			select(first[best], "sandwich");
	});
	document.addEventListener("keydown", function (ev) {
		if (ev.key === "Escape") {
			if (document.activeElement === search && zoom === 0) {
				search.value = "";
				applySearch();
			}
			setZoom(0);
		} else if (ev.key === "/" && document.activeElement !== search) {
			ev.preventDefault();
			search.focus();
		} else if (ev.key === "i" && document.activeElement !== search &&
			   document.activeElement !== colourMenu) {
			icicle = !icicle;
			draw();
		} else if ((ev.key === "s" || ev.key === "a") && selected >= 0 &&
			   document.activeElement !== search) {
			select(selected, ev.key === "s" ? "sandwich" : "source");
		}
	});
	window.addEventListener("resize", resize);
	/* The header can wrap (a long search result): the legend then moves under it. */
	if (window.ResizeObserver)
		new ResizeObserver(function () {
			legend.style.top = header.offsetHeight + "px";
		}).observe(header);

	/* Cost under frames named `name`, each sample once (nested ones are skipped). */
	function valueOf(name) {
		var sum = 0;
		for (var i = 1; i < N;) {
			if (label(i) === name) {
				sum += val[i];
				i += size[i] + 1;
			} else {
				i++;
			}
		}
		return sum;
	}

	T.page = {
		setValues: setValues,
		selected: function () {
			return selected;
		},
		select: select,
		onSelect: function (fn) {
			selectHooks.push(fn);
		},
		colourOf: colour,
		describeValue: function (v) {
			return fmt(v) + " (" + pct(v, ownVal[0]) + " of total)";
		},
		where: where
	};

	window.scorchFlamegraph = {
		find: function (name) {
			for (var d = 0; d < rows.length; d++)
				for (var j = 0; j < rows[d].length; j += 3)
					if (rows[d][j + 2] >= 0 && label(rows[d][j + 2]) === name)
						return {x: rows[d][j], y: rowY(d), w: rows[d][j + 1]};
			return null;
		},
		zoomed: function () {
			return label(zoom);
		},
		icicle: function () {
			return icicle;
		},
		gone: function (name) {
			for (var i = 1; i < N; i++)
				if (label(i) === name && gone(i))
					return true;
			return false;
		},
		total: function () {
			return val[0];
		},
		value: valueOf
	};

	showInfo();
	if (data.dropped) {
		note.hidden = false;
		note.textContent = "This profile has too many frames to draw them all: " +
				   T.group(String(data.dropped.frames)) + " frames narrower than one pixel " +
				   "at full width (" + data.dropped.pixels + " px) were left out of this " +
				   "page, " + fmt(data.dropped.value) + " (" +
				   pct(data.dropped.value, val[0]) + " of total), counted in their " +
				   "callers' widths. The folded output (scorch report --format folded) " +
				   "keeps every frame.";
		document.body.setAttribute("data-dropped", String(data.dropped.frames));
	}
	if (base)
		document.body.setAttribute("data-gone", String(goneRoots));
	makeHatch();
	setMode(mode);
	resize();
	/* The root is at the bottom of a flame graph: start there on deep graphs. */
	if (!icicle)
		window.scrollTo(0, document.body.scrollHeight);
})();
