/*
 * panels.js: the flamegraph page's panels for one function: the sandwich and the source lines.
 *
 * Embedded after flamegraph.js and timeline.js (by src/report/flamegraph.c, via embed.py). A
 * panel opens for the selected frame's function ("Sandwich" / "Source" in the bottom bar, "s" / "a",
 * or Shift+click / Alt+click on a frame) below the flamegraph.
 *
 * Sandwich (as speedscope's): every call path into the function merged into one tree of callers
 * drawn upwards from it, and everything it calls merged into one tree of callees drawn downwards.
 * Each sample counts once: where the function recurses, the outermost call stands for the rest.
 * The values follow the flamegraph's (a time range's, when one is brushed). Clicking a box moves
 * the sandwich to that function.
 *
 * Source: the function's lines with their shares of its samples (data.annotate, written by
 * pagedata.c from the recorded line numbers: self = the line was running, total = anywhere on the
 * stack), with the source text when the file could be read when the page was written; lines of
 * other files (code inlined into it) follow under their file's name.
 *
 * For tests: window.scorchFlamegraph.sandwich(name) and source(name) open a panel for the first
 * frame of that name; sandwichRows() lists the sandwich's boxes ({side: "callers"|"callees",
 * depth, name, value}); <body> carries data-sandwich and data-source (the function shown).
 */
(function () {
	"use strict";

	var T = ScorchTree, data = T.data, page = T.page;
	if (!page)
		return;
	var N = T.N, key = T.key, val = T.val, size = T.size, parent = T.parent;
	var names = data.names, label = T.label, fmt = T.fmt, pct = T.pct;
	var ROW = 17, LABEL_MIN = 28;

	var sandwichOpen = document.getElementById("sandwich-open");
	var sourceOpen = document.getElementById("source-open");
	var sandwichPanel = document.getElementById("sandwich");
	var sourcePanel = document.getElementById("source");
	var ann = data.annotate || null;

	var current = -1; /* key shown in the sandwich */
	var boxes = []; /* drawn sandwich boxes: {side, depth, x, y, w, k, v, canvas} */

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function panelHead(panel, title, close) {
		panel.textContent = "";
		var h = el("div", "panel-head");
		h.appendChild(el("h2", "", title));
		h.appendChild(el("span", "spacer"));
		var b = el("button", "", "Close");
		b.type = "button";
		b.addEventListener("click", close);
		h.appendChild(b);
		panel.appendChild(h);
		return h;
	}

	/* The outermost frames of key k: every sample under k is under exactly one of them. */
	function occurrences(k) {
		var out = [];
		for (var i = 1; i < N;) {
			if (key[i] === k) {
				if (val[i] > 0)
					out.push(i);
				i += size[i] + 1;
			} else {
				i++;
			}
		}
		return out;
	}

	function newNode(k) {
		return {k: k, v: 0, kids: {}};
	}

	function kid(node, k) {
		return node.kids[k] || (node.kids[k] = newNode(k));
	}

	function mergeCallees(i, node) {
		for (var c = i + 1; c <= i + size[i]; c += size[c] + 1) {
			if (val[c] <= 0)
				continue;
			var n = kid(node, key[c]);
			n.v += val[c];
			mergeCallees(c, n);
		}
	}

	function sandwichTrees(k) {
		var occ = occurrences(k), callers = newNode(k), callees = newNode(k), self = 0;
		for (var j = 0; j < occ.length; j++) {
			var o = occ[j], cur = callers;
			callers.v += val[o];
			callees.v += val[o];
			self += T.selfOf(o);
			for (var a = parent[o]; a > 0; a = parent[a]) {
				cur = kid(cur, key[a]);
				cur.v += val[o];
			}
			mergeCallees(o, callees);
		}
		return {callers: callers, callees: callees, self: self};
	}

	function depthOf(node) {
		var d = 0;
		for (var k in node.kids)
			d = Math.max(d, depthOf(node.kids[k]));
		return d + 1;
	}

	function sortedKids(node) {
		var out = [];
		for (var k in node.kids)
			out.push(node.kids[k]);
		out.sort(function (a, b) {
			return names[a.k] < names[b.k] ? -1 : names[a.k] > names[b.k] ? 1 : 0;
		});
		return out;
	}

	function colourOf(k, root) {
		if (root)
			return "#c23fc2";
		var h = T.hash(names[k]);
		return "hsl(" + Math.round(10 + h * 40) + ",80%," + Math.round(58 + h * 12) + "%)";
	}

	/* Draws `tree` into a new canvas: upwards (callers) or downwards (callees). */
	function drawTree(tree, side, width) {
		var rows = depthOf(tree), up = side === "callers";
		var canvas = el("canvas", "sandwich-canvas");
		var dpr = window.devicePixelRatio || 1;
		canvas.style.height = rows * ROW + "px";
		canvas.width = Math.round(width * dpr);
		canvas.height = Math.round(rows * ROW * dpr);
		var ctx = canvas.getContext("2d");
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.font = "12px ui-monospace, Menlo, Consolas, monospace";
		ctx.textBaseline = "middle";
		var cw = ctx.measureText("mmmmmmmmmm").width / 10 || 7;
		var scale = tree.v > 0 ? width / tree.v : 0;
		(function walk(node, x, d) {
			var w = node.v * scale;
			if (w < 0.5)
				return;
			var y = up ? (rows - 1 - d) * ROW : d * ROW;
			ctx.fillStyle = colourOf(node.k, d === 0);
			ctx.fillRect(x, y, w > 2 ? w - 1 : w, ROW - 1);
			if (w >= LABEL_MIN) {
				var fit = Math.floor((w - 6) / cw), s = names[node.k];
				if (fit >= 3) {
					if (s.length > fit)
						s = s.slice(0, fit - 2) + "..";
					ctx.fillStyle = d === 0 ? "#fff" : "#000";
					ctx.fillText(s, x + 3, y + ROW / 2);
				}
			}
			boxes.push({side: side, depth: d, x: x, y: y, w: w, k: node.k, v: node.v,
				    canvas: canvas});
			var kids = sortedKids(node);
			for (var j = 0; j < kids.length; j++) {
				walk(kids[j], x, d + 1);
				x += kids[j].v * scale;
			}
		})(tree, 0, 0);
		canvas.addEventListener("mousemove", function (ev) {
			var b = boxAt(canvas, ev);
			canvas.title = b ? names[b.k] + "\n" + page.describeValue(b.v) : "";
			canvas.style.cursor = b ? "pointer" : "";
		});
		canvas.addEventListener("click", function (ev) {
			var b = boxAt(canvas, ev);
			if (b && b.k !== current)
				showSandwich(b.k);
		});
		return canvas;
	}

	function boxAt(canvas, ev) {
		var r = canvas.getBoundingClientRect();
		var x = ev.clientX - r.left, y = ev.clientY - r.top;
		for (var j = 0; j < boxes.length; j++) {
			var b = boxes[j];
			if (b.canvas === canvas && x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + ROW)
				return b;
		}
		return null;
	}

	function closeSandwich() {
		sandwichPanel.hidden = true;
		current = -1;
		boxes = [];
		document.body.removeAttribute("data-sandwich");
	}

	/* Shows the sandwich of key k; `stay`: without scrolling to it (a redraw). */
	function showSandwich(k, stay) {
		current = k;
		boxes = [];
		var t = sandwichTrees(k);
		panelHead(sandwichPanel, "Sandwich: " + names[k], closeSandwich);
		sandwichPanel.appendChild(el("p", "panel-note",
			"total " + page.describeValue(t.callers.v) + ", self " + fmt(t.self) +
			". Callers above, merged over every call path; callees below. Click a box " +
			"to move the sandwich to it."));
		sandwichPanel.hidden = false;
		var width = sandwichPanel.clientWidth - 24 || 800;
		sandwichPanel.appendChild(el("div", "side-label", "callers"));
		sandwichPanel.appendChild(drawTree(t.callers, "callers", width));
		sandwichPanel.appendChild(drawTree(t.callees, "callees", width));
		sandwichPanel.appendChild(el("div", "side-label", "callees"));
		document.body.setAttribute("data-sandwich", names[k]);
		if (!stay)
			sandwichPanel.scrollIntoView({block: "nearest"});
	}

	/*
	 * Source lines.
	 */

	function annotation(name) {
		if (!ann)
			return null;
		for (var j = 0; j < ann.funcs.length; j++)
			if (ann.funcs[j].name === name)
				return ann.funcs[j];
		return null;
	}

	function closeSource() {
		sourcePanel.hidden = true;
		document.body.removeAttribute("data-source");
	}

	function sourceRow(tbody, line, self, total, fnTotal, text, sampled) {
		var tr = el("tr", sampled ? "hot" : "");
		tr.setAttribute("data-line", String(line));
		tr.appendChild(el("td", "num", sampled ? pct(self, fnTotal) : ""));
		tr.appendChild(el("td", "num", sampled ? pct(total, fnTotal) : ""));
		tr.appendChild(el("td", "num line", line > 0 ? String(line) : "?"));
		tr.appendChild(el("td", "code", text === null ? "" : text));
		tbody.appendChild(tr);
	}

	function showSource(name) {
		var a = annotation(name);
		panelHead(sourcePanel, "Source: " + name, closeSource);
		sourcePanel.hidden = false;
		document.body.setAttribute("data-source", name);
		if (!a) {
			sourcePanel.appendChild(el("p", "panel-note", ann
				? "No source lines for " + name + " in this page: the profile has no line " +
				  "numbers for it, or it is not among the " + ann.funcs.length +
				  " hottest functions (scorch report --annotate lists any function)."
				: "This profile has no line numbers (folded stacks never do; scorch's " +
				  "recordings have them when the program has debug information)."));
			sourcePanel.scrollIntoView({block: "nearest"});
			return;
		}
		var file = a.file >= 0 ? ann.files[a.file] : "";
		var text = {};
		for (var s = 0; a.src && s < a.src.length; s += 2)
			text[a.src[s]] = a.src[s + 1];
		sourcePanel.appendChild(el("p", "panel-note",
			(file ? file + (a.start > 0 ? ":" + a.start : "") + " \u2014 " : "") + "total " +
			page.describeValue(a.total) + ", self " + fmt(a.self) +
			". Shares are of the function's total" + (a.src ? "" : "; the source file " +
			"could not be read when the page was written, so only line numbers show") + "."));
		var table = el("table", "source-lines");
		var head = el("tr");
		["self", "total", "line", ""].forEach(function (h) {
			head.appendChild(el("th", "", h));
		});
		table.appendChild(el("thead")).appendChild(head);
		var tbody = table.appendChild(el("tbody"));
		/* Own file: sampled lines and the text around them, in line order, gaps marked. */
		var rows = {}, order = [];
		for (var j = 0; j < a.lines.length; j += 4) {
			if (a.lines[j] !== a.file)
				continue;
			rows[a.lines[j + 1]] = [a.lines[j + 2], a.lines[j + 3]];
			order.push(a.lines[j + 1]);
		}
		for (var l in text)
			if (!rows[l])
				order.push(Number(l));
		order.sort(function (x, y) {
			return x - y;
		});
		for (var o = 0; o < order.length; o++) {
			var ln = order[o];
			if (o && ln > order[o - 1] + 1)
				tbody.appendChild(el("tr", "gap")).appendChild(el("td", "", "\u2026"))
					.colSpan = 4;
			var r = rows[ln];
			sourceRow(tbody, ln, r ? r[0] : 0, r ? r[1] : 0, a.total,
				  text[ln] !== undefined ? text[ln] : null, !!r);
		}
		/* Other files (inlined code). */
		var lastFile = -2;
		for (j = 0; j < a.lines.length; j += 4) {
			var fi = a.lines[j];
			if (fi === a.file)
				continue;
			if (fi !== lastFile) {
				var hr = tbody.appendChild(el("tr", "file"));
				hr.appendChild(el("td", "", "inlined from " +
					(fi >= 0 && ann.files[fi] ? ann.files[fi] : "an unknown file"))).colSpan = 4;
				lastFile = fi;
			}
			sourceRow(tbody, a.lines[j + 1], a.lines[j + 2], a.lines[j + 3], a.total, null, true);
		}
		sourcePanel.appendChild(table);
		sourcePanel.scrollIntoView({block: "nearest"});
	}

	var selection = document.getElementById("selection");
	page.onSelect(function (i, open) {
		var ok = i > 0;
		selection.textContent = ok ? "selected: " + label(i) : "click a frame to select it";
		sandwichOpen.disabled = !ok;
		sourceOpen.disabled = !ok;
		sandwichOpen.title = ok ? "callers and callees of " + label(i) + " (s)" : "";
		sourceOpen.title = ok ? "source lines of " + label(i) + " (a)" : "";
		if (ok && open === "sandwich")
			showSandwich(key[i]);
		else if (ok && open === "source")
			showSource(label(i));
	});
	sandwichOpen.addEventListener("click", function () {
		if (page.selected() > 0)
			showSandwich(key[page.selected()]);
	});
	sourceOpen.addEventListener("click", function () {
		if (page.selected() > 0)
			showSource(label(page.selected()));
	});

	function firstNamed(name) {
		for (var i = 1; i < N; i++)
			if (label(i) === name)
				return i;
		return -1;
	}

	window.scorchFlamegraph.sandwich = function (name) {
		var i = firstNamed(name);
		if (i > 0)
			page.select(i, "sandwich");
		return i > 0;
	};
	window.scorchFlamegraph.source = function (name) {
		var i = firstNamed(name);
		if (i > 0)
			page.select(i, "source");
		return i > 0;
	};
	window.scorchFlamegraph.sandwichRows = function () {
		return boxes.map(function (b) {
			return {side: b.side, depth: b.depth, name: names[b.k], value: b.v};
		});
	};
	window.scorchFlamegraph.sandwichBox = function (side, name) {
		for (var j = 0; j < boxes.length; j++)
			if (boxes[j].side === side && names[boxes[j].k] === name) {
				var r = boxes[j].canvas.getBoundingClientRect();
				return {x: r.left + boxes[j].x, y: r.top + boxes[j].y, w: boxes[j].w};
			}
		return null;
	};
	/* A brushed range changes the values: redraw an open sandwich with them. */
	var setValues = page.setValues;
	page.setValues = function (v) {
		setValues(v);
		if (current >= 0)
			showSandwich(current, true);
	};
})();
