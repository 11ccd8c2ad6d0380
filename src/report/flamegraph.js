/*
 * flamegraph.js: the renderer of scorch's flamegraph page.
 *
 * Embedded into the page by src/report/flamegraph.c (via embed.py at build time), which also
 * writes the markup and the profile as JSON in <script id="scorch-data">; flamegraph.c's opening
 * comment describes that JSON. In short: "names"/"mod"/"modules" describe frame keys, and "tree"
 * is the call tree in preorder, three numbers per node: key (-1 = root), inclusive value, and
 * number of descendants.
 *
 * Drawing: one canvas, root at the bottom, callers below callees, widths proportional to value.
 * A frame narrower than MIN_WIDTH pixels is not drawn and neither is anything above it: its
 * share shows as the uncovered remainder of its parent. Because preorder plus descendant counts
 * lets the walk jump over a subtree in one step, a redraw costs about (canvas width x depth)
 * however many nodes the profile has.
 *
 * Interaction: hover shows name, module, value and share; click zooms into a frame (its
 * ancestors stay drawn full width, dimmed, and clicking one zooms out to it); the search box
 * takes a regex, highlights matching frames and reports their share of the total, counting each
 * sample once even when matches nest; "Reset zoom" or Escape returns to the whole profile; "/"
 * focuses the search box.
 */
(function () {
	"use strict";

	var ROW = 17; /* px per frame row */
	var MIN_WIDTH = 0.5; /* px below which a frame is left undrawn */
	var LABEL_MIN = 28; /* px a frame needs to carry a label */
	var MATCH_COLOUR = "#c23fc2";
	var ROOT_COLOUR = "#d9d2bd";

	var data = JSON.parse(document.getElementById("scorch-data").textContent);
	var names = data.names, modules = data.modules, keyModule = data.mod;
	var N = data.tree.length / 3;

	/* Flat arrays are much lighter than one object per node. */
	var key = new Int32Array(N), val = new Float64Array(N), size = new Int32Array(N);
	var depth = new Int32Array(N), parent = new Int32Array(N);
	var maxDepth = 0;
	(function index(tree) {
		var path = []; /* ancestors of the node being read */
		for (var i = 0; i < N; i++) {
			key[i] = tree[3 * i];
			val[i] = tree[3 * i + 1];
			size[i] = tree[3 * i + 2];
			while (path.length && path[path.length - 1] + size[path[path.length - 1]] < i)
				path.pop();
			parent[i] = path.length ? path[path.length - 1] : -1;
			depth[i] = path.length;
			if (depth[i] > maxDepth)
				maxDepth = depth[i];
			path.push(i);
		}
	})(data.tree);
	data.tree = null;

	var canvas = document.getElementById("canvas");
	var ctx = canvas.getContext("2d");
	var tip = document.getElementById("tip");
	var details = document.getElementById("details");
	var search = document.getElementById("search");
	var matched = document.getElementById("matched");
	var resetButton = document.getElementById("reset");
	var info = document.getElementById("info");

	var zoom = 0; /* node drawn full width */
	var matchKey = null; /* Uint8Array over keys while a search is active */
	var rows = []; /* rows[d]: frames drawn at depth d, as flat [x, w, node, ...] */
	var width = 0, height = 0, charWidth = 7;
	var colours = [];

	function group(digits) {
		return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	}

	/* Three significant digits (two decimals at most), then the unit. */
	function scaled(v, unit) {
		var a = Math.abs(v);
		return v.toFixed(a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2) + " " + unit;
	}

	/* A value in the profile's unit, scaled for reading. */
	function fmt(v) {
		var a = Math.abs(v);
		if (data.unit === "nanoseconds" && a >= 1e3)
			return a >= 1e9 ? scaled(v / 1e9, "s")
					: a >= 1e6 ? scaled(v / 1e6, "ms") : scaled(v / 1e3, "us");
		if (data.unit === "nanoseconds")
			return v + " ns";
		if (data.unit === "bytes" && a >= 1024)
			return a >= 1073741824 ? scaled(v / 1073741824, "GiB")
					       : a >= 1048576 ? scaled(v / 1048576, "MiB")
							      : scaled(v / 1024, "KiB");
		if (data.unit === "bytes")
			return v + " B";
		return group(String(v)) + " " + data.type;
	}

	function pct(v, of) {
		return of > 0 ? ((100 * v) / of).toFixed(2) + "%" : "0.00%";
	}

	/* FNV-1a with a final mix (short names differ in few bits), mapped to [0, 1). */
	function hash(s) {
		var h = 2166136261;
		for (var i = 0; i < s.length; i++) {
			h ^= s.charCodeAt(i);
			h = Math.imul(h, 16777619);
		}
		h ^= h >>> 16;
		h = Math.imul(h, 0x85ebca6b);
		h ^= h >>> 13;
		h = Math.imul(h, 0xc2b2ae35);
		h ^= h >>> 16;
		return (h >>> 0) / 4294967296;
	}

	function label(i) {
		return key[i] < 0 ? "all" : names[key[i]];
	}

	/* "" for the root and for frames of no known module (folded input has none). */
	function moduleOf(i) {
		var m = key[i] < 0 ? "" : modules[keyModule[key[i]]];
		return m === "?" ? "" : m;
	}

	/* Warm colours: the module picks the hue and base lightness, the name varies it a little,
	 * so one library's frames read as one family. */
	function colour(i) {
		var k = key[i];
		if (k < 0)
			return ROOT_COLOUR;
		if (matchKey && matchKey[k])
			return MATCH_COLOUR;
		var c = colours[k];
		if (!c) {
			var m = hash(modules[keyModule[k]]), n = hash(names[k]);
			var hue = Math.round(m * 36 + n * 16);
			var sat = 72 + Math.round(((n * 7) % 1) * 22);
			var light = 52 + Math.round(((m * 13) % 1) * 6) + Math.round(((n * 17) % 1) * 10);
			c = colours[k] = "hsl(" + hue + "," + sat + "%," + light + "%)";
		}
		return c;
	}

	function box(i, x, w, ancestor) {
		var d = depth[i], y = height - (d + 1) * ROW;
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

	function drawSubtree(i, x, scale) {
		box(i, x, val[i] * scale, false);
		var end = i + size[i];
		for (var c = i + 1; c <= end; c += size[c] + 1) {
			var w = Math.max(val[c] * scale, 0);
			if (w >= MIN_WIDTH)
				drawSubtree(c, x, scale);
			x += w;
		}
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
		for (var d = 0; d <= maxDepth; d++)
			rows.push([]);
		for (var a = parent[zoom]; a >= 0; a = parent[a])
			box(a, 0, width, true);
		drawSubtree(zoom, 0, val[zoom] > 0 ? width / val[zoom] : 0);
		ctx.globalAlpha = 1;
		resetButton.disabled = zoom === 0;
	}

	function resize() {
		var dpr = window.devicePixelRatio || 1;
		width = canvas.clientWidth || 800;
		height = (maxDepth + 1) * ROW;
		canvas.style.height = height + "px";
		canvas.width = Math.round(width * dpr);
		canvas.height = Math.round(height * dpr);
		draw();
	}

	/* The node drawn under a mouse event, or -1. */
	function hit(ev) {
		var r = canvas.getBoundingClientRect();
		var x = ev.clientX - r.left, y = ev.clientY - r.top;
		var row = rows[Math.floor((height - 1 - y) / ROW)];
		if (!row)
			return -1;
		for (var j = 0; j < row.length; j += 3)
			if (x >= row[j] && x < row[j] + row[j + 1])
				return row[j + 2];
		return -1;
	}

	function describe(i) {
		var s = fmt(val[i]) + " (" + pct(val[i], val[0]) + " of total";
		if (zoom !== 0 && i !== zoom && parent[zoom] >= 0 && depth[i] > depth[zoom])
			s += ", " + pct(val[i], val[zoom]) + " of " + label(zoom);
		return s + ")";
	}

	function showTip(i, ev) {
		var mod = moduleOf(i);
		tip.textContent = label(i) + "\n" + (mod ? "module: " + mod + "\n" : "") + describe(i);
		tip.hidden = false;
		var x = ev.clientX + 14, y = ev.clientY + 14;
		var w = tip.offsetWidth, h = tip.offsetHeight;
		if (x + w > window.innerWidth - 4)
			x = Math.max(4, ev.clientX - w - 14);
		if (y + h > window.innerHeight - 4)
			y = Math.max(4, ev.clientY - h - 14);
		tip.style.left = x + "px";
		tip.style.top = y + "px";
		details.textContent = label(i) + (mod ? "  [" + mod + "]" : "") + "  " + describe(i);
	}

	function hideTip() {
		tip.hidden = true;
		canvas.style.cursor = "";
		details.textContent = "\u00a0";
	}

	function setZoom(i) {
		zoom = i;
		draw();
	}

	/* Share of the total under frames matching `re`, each sample once: a matching frame's
	 * value covers everything above it, so its subtree is skipped. */
	function matchedTotal() {
		var sum = 0;
		for (var i = 1; i < N; ) {
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
				matched.textContent =
					"matched: " + pct(matchedTotal(), val[0]) + " of total";
			}
		}
		draw();
	}

	canvas.addEventListener("mousemove", function (ev) {
		var i = hit(ev);
		if (i < 0) {
			hideTip();
			return;
		}
		canvas.style.cursor = "pointer";
		showTip(i, ev);
	});
	canvas.addEventListener("mouseleave", hideTip);
	canvas.addEventListener("click", function (ev) {
		var i = hit(ev);
		if (i >= 0 && i !== zoom) {
			setZoom(i);
			showTip(i, ev);
		}
	});
	resetButton.addEventListener("click", function () {
		setZoom(0);
	});
	var searchTimer = 0;
	search.addEventListener("input", function () {
		clearTimeout(searchTimer);
		searchTimer = setTimeout(applySearch, 150);
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
		}
	});
	window.addEventListener("resize", resize);

	info.textContent = "total " + fmt(val[0]) + ", " + group(String(N - 1)) + " frames";
	resize();
	/* The root is at the bottom: start there on deep graphs. */
	window.scrollTo(0, document.body.scrollHeight);
})();
