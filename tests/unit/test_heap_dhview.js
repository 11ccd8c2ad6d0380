// test_heap_dhview.js: loads a dhat.json into valgrind's own viewer code (dh_view.js), under node,
// with a minimal stand-in for the browser's DOM, for test_heap_writers.
//
//     node test_heap_dhview.js /usr/libexec/valgrind/dh_view.js FILE
//
// Runs the page's onLoad(), then what loadFile() does with a file: JSON.parse, buildTree() (the
// viewer's checks: version, mandatory fields, repeated locations, leaf maxima added once), and
// displayTree() for every sort metric the file enables. Prints the root's totals:
//     TOTAL <bytes> <blocks>   TGMAX <bytes> <blocks>   TEND <bytes> <blocks>   METRICS <n>
// and the rendered text of the last display. Exits 1 with "INVALID: reason" when the viewer
// throws.
"use strict";
const fs = require("fs");
const vm = require("vm");

class El {
  constructor(tag) {
    this.tagName = tag;
    this.childNodes = [];
    this.parentNode = null;
    this._text = "";
    this.className = "";
    this.classList = {
      contains: (c) => this.className.split(" ").includes(c),
      toggle: (c) => {
        let cs = this.className.split(" ").filter((x) => x);
        this.className = cs.includes(c) ? cs.filter((x) => x !== c).join(" ")
                                        : cs.concat([c]).join(" ");
      },
    };
    this.style = {};
  }
  appendChild(c) { c.parentNode = this; this.childNodes.push(c); return c; }
  replaceChild(n, o) {
    let i = this.childNodes.indexOf(o);
    this.childNodes[i] = n;
    n.parentNode = this;
    return o;
  }
  cloneNode() { let e = new El(this.tagName); e.className = this.className; return e; }
  get textContent() { return this._text + this.childNodes.map((c) => c.textContent).join(""); }
  set textContent(t) { this._text = String(t); this.childNodes = []; }
  get selectedIndex() {
    let i = this.childNodes.findIndex((o) => o.selected);
    return i < 0 ? 0 : i;
  }
}

const [viewer, file] = process.argv.slice(2);
const document = {
  title: "",
  body: new El("body"),
  location: { search: "" },
  createElement: (t) => new El(t),
  createTextNode: (t) => { let e = new El("#text"); e.textContent = t; return e; },
};
const ctx = vm.createContext({ document, console, performance, Intl, URLSearchParams,
                               FileReader: function () {} });
const driver = `
onLoad();
gData = JSON.parse(${JSON.stringify(fs.readFileSync(file, "utf8"))});
buildTree();
let metrics = 0, text = "";
for (let [i, option] of gSelect.childNodes.entries()) {
  if (option.disabled) continue;
  for (let o of gSelect.childNodes) o.selected = false;
  option.selected = true;
  displayTree();
  metrics++;
  text = gMainDiv.textContent;
}
[gRoot._totalBytes, gRoot._totalBlocks, gRoot._atTGmaxBytes, gRoot._atTGmaxBlocks,
 gRoot._atTEndBytes, gRoot._atTEndBlocks, metrics, text];
`;
try {
  const r = vm.runInContext(fs.readFileSync(viewer, "utf8") + "\n" + driver, ctx,
                            { filename: viewer });
  console.log(`TOTAL ${r[0]} ${r[1]}`);
  console.log(`TGMAX ${r[2]} ${r[3]}`);
  console.log(`TEND ${r[4]} ${r[5]}`);
  console.log(`METRICS ${r[6]}`);
  console.log(r[7]);
} catch (e) {
  console.log(`INVALID: ${e.message}`);
  process.exit(1);
}
