/*
 * tree.js: what scorch's pages share: reading the embedded profile and formatting numbers.
 *
 * Embedded before flamegraph.js or butterfly.js by src/report/flamegraph.c and butterfly_html.c
 * (via embed.py at build time). It reads the JSON in <script id="scorch-data"> (described in
 * flamegraph.c's opening comment) and defines one global, ScorchTree:
 *
 *   data                  the parsed JSON ("tree" replaced by the arrays below)
 *   N                     number of nodes, preorder; node 0 is the root
 *   key, val, size        per node: frame key (-1 root), inclusive value, descendant count
 *   depth, parent         per node (parent -1 for the root); maxDepth
 *   base                  per node value in the base profile of a diff, or null
 *   selfOf(i)             a node's self value (its value less its children's)
 *   label(i), moduleOf(i) display name ("all" for the root) and module ("" when unknown)
 *   fmt(v), pct(v, of), group(digits), hash(s)   formatting and a stable string hash
 *
 * Not for: drawing or interaction (the page's own script does that).
 */
var ScorchTree = (function () {
	"use strict";

	var data = JSON.parse(document.getElementById("scorch-data").textContent);
	var N = data.tree.length / 3;
	var key = new Int32Array(N), val = new Float64Array(N), size = new Int32Array(N);
	var depth = new Int32Array(N), parent = new Int32Array(N);
	var maxDepth = 0;
	var path = []; /* ancestors of the node being read */
	for (var i = 0; i < N; i++) {
		key[i] = data.tree[3 * i];
		val[i] = data.tree[3 * i + 1];
		size[i] = data.tree[3 * i + 2];
		while (path.length && path[path.length - 1] + size[path[path.length - 1]] < i)
			path.pop();
		parent[i] = path.length ? path[path.length - 1] : -1;
		depth[i] = path.length;
		if (depth[i] > maxDepth)
			maxDepth = depth[i];
		path.push(i);
	}
	data.tree = null;
	var base = data.base ? Float64Array.from(data.base) : null;
	data.base = null;

	function selfOf(i) {
		var s = val[i], end = i + size[i];
		for (var c = i + 1; c <= end; c += size[c] + 1)
			s -= val[c];
		return s;
	}

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
		return key[i] < 0 ? "all" : data.names[key[i]];
	}

	/* "" for the root and for frames of no known module (folded input has none). */
	function moduleOf(i) {
		var m = key[i] < 0 ? "" : data.modules[data.mod[key[i]]];
		return m === "?" ? "" : m;
	}

	return {
		data: data, N: N, key: key, val: val, size: size, depth: depth, parent: parent,
		maxDepth: maxDepth, base: base, selfOf: selfOf, group: group, fmt: fmt, pct: pct,
		hash: hash, label: label, moduleOf: moduleOf
	};
})();
