/*
 * butterfly.js: the butterfly page's behaviour: one function with its callers and callees.
 *
 * Embedded by src/report/butterfly_html.c after tree.js (ScorchTree: the call tree in preorder).
 * Every number is computed here from the tree, so any function's butterfly is one click away:
 *
 *   total   samples with the function anywhere on the stack (once per sample under recursion)
 *   self    samples whose innermost frame is the function
 *   caller  for each frame directly above an occurrence of the function, the cost of the
 *           samples in which it called into the function (once per sample and caller)
 *   callee  for each frame directly below an occurrence, the cost of the samples in which the
 *           function called it (once per sample and callee), plus "(self)"
 *
 * Shares are of the function's total; "of total" is of the whole profile. A function is a frame
 * key (name + module). The view follows the URL's hash (#f=NAME), so Back returns to the previous
 * function. Clicking a caller or callee (or a function in the side bar) moves the view to it; the
 * search box filters the side bar by regex and Enter shows the first match.
 *
 * For tests: <body data-focus="NAME"> names the function shown; each row's link has
 * data-name="NAME".
 */
(function () {
	"use strict";

	var T = ScorchTree, data = T.data, N = T.N, key = T.key, val = T.val, size = T.size;
	var parent = T.parent, names = data.names, fmt = T.fmt, pct = T.pct;
	var page = JSON.parse(document.getElementById("scorch-page").textContent);
	var K = names.length;
	var ROOT = K; /* key index used for "no caller" (the function is outermost) */

	var listEl = document.getElementById("top");
	var orderMenu = document.getElementById("order");
	var search = document.getElementById("search");
	var matched = document.getElementById("matched");
	var fname = document.getElementById("fname");
	var fstats = document.getElementById("fstats");
	var callersBody = document.querySelector("#callers tbody");
	var calleesBody = document.querySelector("#callees tbody");

	function nameOf(k) {
		return k === ROOT ? "(no caller: outermost frame)" : names[k];
	}

	function moduleOfKey(k) {
		var m = k < K ? data.modules[data.mod[k]] : "";
		return m === "?" ? "" : m;
	}

	/* Self and total of every function, in one pass with per-key on-path counters. */
	var selfK = new Float64Array(K), totalK = new Float64Array(K);
	(function () {
		var on = new Int32Array(K), path = [];
		for (var i = 1; i < N; i++) {
			while (path.length && path[path.length - 1] + size[path[path.length - 1]] < i)
				on[key[path.pop()]]--;
			var k = key[i];
			if (on[k]++ === 0)
				totalK[k] += val[i];
			selfK[k] += T.selfOf(i);
			path.push(i);
		}
	})();

	function compute(f) {
		var b = {self: 0, total: 0, callers: new Float64Array(K + 1), callees: new Float64Array(K)};
		var onF = 0, callerOn = new Int32Array(K + 1), calleeOn = new Int32Array(K), path = [];
		function leave(j) {
			if (key[j] === f) {
				onF--;
				callerOn[parent[j] > 0 ? key[parent[j]] : ROOT]--;
			}
			if (parent[j] > 0 && key[parent[j]] === f)
				calleeOn[key[j]]--;
		}
		for (var i = 1; i < N; i++) {
			while (path.length && path[path.length - 1] + size[path[path.length - 1]] < i)
				leave(path.pop());
			if (key[i] === f) {
				b.self += T.selfOf(i);
				if (onF++ === 0)
					b.total += val[i];
				var c = parent[i] > 0 ? key[parent[i]] : ROOT;
				if (callerOn[c]++ === 0)
					b.callers[c] += val[i];
			}
			if (parent[i] > 0 && key[parent[i]] === f && calleeOn[key[i]]++ === 0)
				b.callees[key[i]] += val[i];
			path.push(i);
		}
		return b;
	}

	function sortedKeys(values) {
		var ks = [];
		for (var k = 0; k < values.length; k++)
			if (values[k] > 0)
				ks.push(k);
		ks.sort(function (a, b) {
			return values[b] - values[a] || (nameOf(a) < nameOf(b) ? -1 : 1);
		});
		return ks;
	}

	function link(k) {
		var a = document.createElement("a");
		a.href = "#f=" + encodeURIComponent(names[k]);
		a.textContent = names[k];
		a.setAttribute("data-name", names[k]);
		a.className = "fn";
		var m = moduleOfKey(k);
		if (m)
			a.title = "module: " + m;
		return a;
	}

	function row(body, k, value, of, clickable, label) {
		var tr = document.createElement("tr");
		var share = document.createElement("td");
		share.className = "share";
		var bar = document.createElement("span");
		bar.className = "bar";
		bar.style.width = (of > 0 ? (100 * value) / of : 0).toFixed(1) + "%";
		share.appendChild(bar);
		var num = document.createElement("span");
		num.className = "num";
		num.textContent = pct(value, of);
		share.appendChild(num);
		tr.appendChild(share);
		var v = document.createElement("td");
		v.textContent = fmt(value);
		tr.appendChild(v);
		var g = document.createElement("td");
		g.textContent = pct(value, val[0]);
		tr.appendChild(g);
		var n = document.createElement("td");
		n.className = "name";
		if (clickable) {
			n.appendChild(link(k));
			var m = moduleOfKey(k);
			if (m) {
				var ms = document.createElement("span");
				ms.className = "module";
				ms.textContent = " " + m;
				n.appendChild(ms);
			}
		} else {
			n.textContent = label;
		}
		tr.appendChild(n);
		body.appendChild(tr);
	}

	var focus = -1;

	function show(f) {
		focus = f;
		var b = compute(f);
		fname.textContent = names[f];
		var m = moduleOfKey(f);
		fstats.textContent = (m ? "module " + m + "; " : "") + "total " + fmt(b.total) + " (" +
				     pct(b.total, val[0]) + " of the profile), self " + fmt(b.self) +
				     " (" + pct(b.self, val[0]) + ")";
		callersBody.textContent = "";
		calleesBody.textContent = "";
		var cs = sortedKeys(b.callers);
		for (var i = 0; i < cs.length; i++)
			row(callersBody, cs[i], b.callers[cs[i]], b.total, cs[i] !== ROOT,
			    nameOf(cs[i]));
		var rows = sortedKeys(b.callees), selfDone = false;
		for (var j = 0; j <= rows.length; j++) {
			/* "(self)" takes its place by value among the callees. */
			if (!selfDone && b.self > 0 &&
			    (j === rows.length || b.self >= b.callees[rows[j]])) {
				row(calleesBody, -1, b.self, b.total, false, "(self)");
				selfDone = true;
			}
			if (j < rows.length)
				row(calleesBody, rows[j], b.callees[rows[j]], b.total, true, "");
		}
		document.body.setAttribute("data-focus", names[f]);
		document.title = names[f] + " \u2014 " + data.title;
		var items = listEl.querySelectorAll("li");
		for (var q = 0; q < items.length; q++)
			items[q].classList.toggle("current", items[q].getAttribute("data-key") == f);
	}

	function byName(name) {
		for (var k = 0; k < K; k++)
			if (names[k] === name && totalK[k] > 0)
				return k;
		return -1;
	}

	function fillList() {
		var re = null;
		search.classList.remove("invalid");
		matched.textContent = "";
		if (search.value) {
			try {
				re = new RegExp(search.value);
			} catch (e) {
				search.classList.add("invalid");
				matched.textContent = "invalid regex";
			}
		}
		var values = orderMenu.value === "total" ? totalK : selfK;
		var ks = sortedKeys(values), shown = [];
		for (var i = 0; i < ks.length && shown.length < page.top; i++)
			if (!re || re.test(names[ks[i]]))
				shown.push(ks[i]);
		if (re)
			matched.textContent = shown.length + " shown";
		listEl.textContent = "";
		for (var j = 0; j < shown.length; j++) {
			var li = document.createElement("li");
			li.setAttribute("data-key", shown[j]);
			li.appendChild(link(shown[j]));
			var s = document.createElement("span");
			s.className = "num";
			s.textContent = pct(values[shown[j]], val[0]);
			li.appendChild(s);
			if (shown[j] === focus)
				li.className = "current";
			listEl.appendChild(li);
		}
		return shown;
	}

	function fromHash() {
		var h = location.hash.match(/^#f=(.*)$/);
		var k = h ? byName(decodeURIComponent(h[1])) : -1;
		if (k < 0 && page.focus)
			k = byName(page.focus);
		if (k < 0) {
			var ks = sortedKeys(selfK);
			k = ks.length ? ks[0] : sortedKeys(totalK)[0];
		}
		if (k !== undefined && k >= 0)
			show(k);
	}

	window.addEventListener("hashchange", fromHash);
	orderMenu.addEventListener("change", fillList);
	var timer = 0;
	search.addEventListener("input", function () {
		clearTimeout(timer);
		timer = setTimeout(fillList, 150);
	});
	search.addEventListener("keydown", function (ev) {
		if (ev.key === "Enter") {
			var shown = fillList();
			if (shown.length)
				location.hash = "#f=" + encodeURIComponent(names[shown[0]]);
		}
	});

	document.getElementById("info").textContent =
	    "total " + fmt(val[0]) + ", " + T.group(String(sortedKeys(totalK).length)) + " functions";
	fillList();
	fromHash();
})();
