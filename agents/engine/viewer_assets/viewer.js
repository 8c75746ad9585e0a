// The trajectory viewer's script (agents/engine/viewer.py inlines it into the page, with the id of
// the viewer's element in place of the placeholder below). It reads the runs from the page's JSON and builds every node with
// textContent, never innerHTML.
(function () {
  "use strict";
  var root = document.getElementById("__UID__");
  var data = JSON.parse(document.getElementById("__UID__-data").textContent);
  var q = function (sel) { return root.querySelector(sel); };
  var list = q(".ra-list"), detail = q(".ra-detail"), search = q(".ra-search");
  var NAMES = {"-": "not run"}, GLYPH = {"-": "\u00b7"}, CLASS = {"-": "ra-n"};
  data.outcomes.forEach(function (o) { NAMES[o.code] = o.name; GLYPH[o.code] = o.glyph; CLASS[o.code] = o.cls; });
  var run = null, rows = [], haystack = null, filter = "all", query = "", current = -1, timer = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);  // never innerHTML
    return node;
  }

  function badges(sample) {
    var span = el("span", "ra-badges");
    for (var k = 0; k < sample.outcomes.length; k++) {
      var code = sample.outcomes[k], b = el("span", "ra-b " + CLASS[code], GLYPH[code]);
      var att = attemptAt(sample, k + 1), title = "trial " + (k + 1) + ": " + NAMES[code];
      if (att && att.outcome !== "error" && att.success !== att.correct) {
        b.className += " ra-claim";
        title += " (feedback said " + (att.success ? "success" : "failure") + ")";
      }
      b.title = title;
      span.appendChild(b);
    }
    return span;
  }

  function attemptAt(sample, trial) {
    for (var i = 0; i < sample.attempts.length; i++) if (sample.attempts[i].trial === trial) return sample.attempts[i];
    return null;
  }

  function selectRun(index) {
    run = data.runs[index];
    haystack = null; current = -1;
    var inf = run.info;
    q(".ra-info").textContent = [inf.task, inf.agent, inf.strategy, inf.feedback_source + " feedback",
      inf.model, inf.environment, inf.settings, "n = " + inf.n, run.n_trials + " trials",
      inf.folder ? "run " + inf.folder : ""].filter(Boolean).join(" \u00b7 ");
    var frag = document.createDocumentFragment();
    rows = run.samples.map(function (s, i) {
      var row = el("div", "ra-sample");
      row.dataset.index = i; row.dataset.id = s.id; row.setAttribute("role", "option");
      var head = el("div");
      head.appendChild(el("span", "ra-sid", s.id));
      head.appendChild(badges(s));
      row.appendChild(head);
      row.appendChild(el("div", "ra-snip", s.input.slice(0, 160)));
      frag.appendChild(row);
      return row;
    });
    list.textContent = "";
    list.appendChild(frag);
    var counts = {all: run.samples.length, fixed: 0, never: 0, regressed: 0};
    run.samples.forEach(function (s) { ["fixed", "never", "regressed"].forEach(function (f) { if (s[f]) counts[f]++; }); });
    root.querySelectorAll(".ra-filters button").forEach(function (b) {
      b.dataset.count = counts[b.dataset.filter];
      b.textContent = b.textContent.replace(/ \(\d+\)$/, "") + " (" + counts[b.dataset.filter] + ")";
    });
    detail.textContent = "";
    detail.appendChild(el("p", "ra-hint", "Pick a sample on the left (\u2191/\u2193 move through the list)."));
    applyFilters();
  }

  function textOf(s) {
    var parts = [s.id, s.input];
    s.attempts.forEach(function (a) {
      parts.push(a.answer, a.trajectory, a.feedback.message, a.error || "");
      parts.push.apply(parts, a.reflections);
    });
    return parts.join("\n").toLowerCase();
  }

  function applyFilters() {
    if (query && !haystack) haystack = run.samples.map(textOf);  // built once per run, on first search
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var s = run.samples[i];
      var ok = (filter === "all" || s[filter]) && (!query || haystack[i].indexOf(query) !== -1);
      rows[i].hidden = !ok;
      if (ok) shown++;
    }
    q(".ra-count").textContent = "showing " + shown + " of " + rows.length + " samples";
  }

  function showSample(index) {
    if (current >= 0 && rows[current]) rows[current].classList.remove("ra-sel");
    current = index;
    rows[index].classList.add("ra-sel");
    var s = run.samples[index];
    detail.textContent = "";
    var h = el("h2", null, s.id);
    ["fixed", "never", "regressed"].forEach(function (f) {
      if (s[f]) h.appendChild(el("span", "ra-tag", {fixed: "fixed by a reflection", never: "never solved", regressed: "regressed"}[f]));
    });
    detail.appendChild(h);
    detail.appendChild(el("div", "ra-label", "input"));
    detail.appendChild(el("div", "ra-box ra-input", s.input || "(no input recorded)"));
    if (!s.attempts.length) { detail.appendChild(el("p", "ra-hint", "No attempt was recorded for this sample.")); return; }
    var bar = el("div", "ra-pairbar"), holder = el("div", "ra-compare");
    if (s.attempts.length > 1) {
      bar.appendChild(el("span", "ra-label", "compare"));
      var pick = el("select", "ra-pair");
      for (var i = 0; i + 1 < s.attempts.length; i++) {
        var o = el("option", null, "trial " + s.attempts[i].trial + " \u2192 trial " + s.attempts[i + 1].trial);
        o.value = i; pick.appendChild(o);
      }
      pick.value = String(s.focus);
      pick.addEventListener("change", function () { renderPair(holder, s, Number(pick.value)); });
      bar.appendChild(pick);
    } else {
      bar.appendChild(el("span", "ra-hint", "Only one trial: " + (s.attempts[0].success ?
        "its feedback said success, so it was not retried." : "no later trial was recorded.")));
    }
    detail.appendChild(bar);
    detail.appendChild(holder);
    renderPair(holder, s, s.attempts.length > 1 ? s.focus : -1);
  }

  function firstDivergence(a, b) {
    var n = Math.max(a.length, b.length);
    for (var i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return -1;
  }

  function pane(att, lines, diverge, side) {
    var box = el("div", "ra-pane ra-" + side);
    var code = att.code;
    var h = el("h3", null, "Trial " + att.trial + " ");
    var b = el("span", "ra-b " + CLASS[code], GLYPH[code]); b.title = NAMES[code];
    h.appendChild(b);
    h.appendChild(el("span", "ra-tag", att.correct ? "correct" : "not correct"));
    if (att.outcome !== "error" && att.success !== att.correct) {
      h.appendChild(el("span", "ra-tag ra-warn", "feedback said " + (att.success ? "success" : "failure")));
    }
    box.appendChild(h);
    var meta = el("div", "ra-meta");
    var add = function (label, value) {
      var d = el("div"); d.appendChild(el("span", "ra-label", label + " ")); d.appendChild(el("span", null, value));
      meta.appendChild(d);
    };
    var format = run.info.answer_format;
    if (format === "code") {  // a program: its own block, every space and line kept
      meta.appendChild(el("span", "ra-label", "code"));
      meta.appendChild(el("pre", "ra-code ra-answer", att.answer === "" ? "(none)" : att.answer));
    } else {
      add(format === "action" ? "last command" : "answer", att.answer === "" ? "(none)" : att.answer);
    }
    add("feedback", (att.feedback.source || "?") + ": " + (att.success ? "success" : "failure") +
        (att.feedback.message ? " \u2014 " + att.feedback.message : ""));
    add("correct", att.correct ? "yes" : "no");
    if (att.halted) add("halted", "yes");
    if (att.error) add("error", att.error);
    var scores = Object.keys(att.scores || {}).map(function (k) { return k + "=" + att.scores[k]; }).join(", ");
    if (scores) add("scores", scores);
    add("spend", att.tokens + " tokens" + (att.cost_usd ? ", $" + att.cost_usd.toFixed(4) : ""));
    if (att.reflections.length) {
      var mem = el("details", "ra-mem"), ol = el("ol");
      mem.appendChild(el("summary", null, "memory shown to this trial (" + att.reflections.length + " reflection" +
        (att.reflections.length > 1 ? "s" : "") + ")"));
      att.reflections.forEach(function (r) { ol.appendChild(el("li", null, r)); });
      mem.appendChild(ol); meta.appendChild(mem);
    }
    box.appendChild(meta);
    var traj = el("div", "ra-traj"), frag = document.createDocumentFragment(), mark = null;
    lines.forEach(function (line, i) {
      var row = el("div", "ra-line" + (i === diverge ? " ra-div" : ""));
      row.appendChild(el("span", "ra-ln", i + 1));
      row.appendChild(el("span", null, line === "" ? " " : line));
      if (i === diverge) { row.title = "first line where the two trials differ"; mark = row; }
      frag.appendChild(row);
    });
    if (!lines.length || (lines.length === 1 && lines[0] === "")) frag.appendChild(el("div", "ra-hint", "(empty trajectory)"));
    traj.appendChild(frag);
    box.appendChild(traj);
    return {box: box, traj: traj, mark: mark};
  }

  function newReflection(before, after) {
    var mem = after.reflections;
    if (!mem.length) return null;
    var last = mem[mem.length - 1], prev = before.reflections;
    return prev.length && prev[prev.length - 1] === last && prev.length === mem.length ? null : last;
  }

  function renderPair(holder, s, i) {
    holder.textContent = "";
    var grid = el("div", "ra-grid");
    if (i < 0) {
      var only = s.attempts[0];
      grid.style.gridTemplateColumns = "minmax(0,1fr)";
      grid.appendChild(pane(only, only.trajectory.split("\n"), -1, "left").box);
      holder.appendChild(grid);
      return;
    }
    var a = s.attempts[i], b = s.attempts[i + 1];
    var la = a.trajectory.split("\n"), lb = b.trajectory.split("\n");
    var d = firstDivergence(la, lb);
    var left = pane(a, la, d < la.length ? d : -1, "left");
    var right = pane(b, lb, d < lb.length ? d : -1, "right");
    var mid = el("div", "ra-refl");
    mid.appendChild(el("div", "ra-arrow", "written after trial " + a.trial + ", shown to trial " + b.trial + " \u2192"));
    var note = newReflection(a, b);
    mid.appendChild(el("div", "ra-text", note !== null ? note :
      (b.strategy ? "No new reflection (strategy: " + b.strategy + ")." : "No new reflection.")));
    if (d === -1) mid.appendChild(el("div", "ra-hint", "The two trajectories are identical."));
    else mid.appendChild(el("div", "ra-hint", "First difference: line " + (d + 1) + " (highlighted)."));
    grid.appendChild(left.box); grid.appendChild(mid); grid.appendChild(right.box);
    holder.appendChild(grid);
    [left, right].forEach(function (p) { if (p.mark) p.traj.scrollTop = Math.max(0, p.mark.offsetTop - p.traj.offsetTop - 40); });
  }

  function move(step) {
    var i = current;
    do { i += step; } while (i >= 0 && i < rows.length && rows[i].hidden);
    if (i >= 0 && i < rows.length) { showSample(i); rows[i].scrollIntoView({block: "nearest"}); }
  }

  list.addEventListener("click", function (ev) {
    var row = ev.target.closest(".ra-sample");
    if (row) showSample(Number(row.dataset.index));
  });
  list.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown" || ev.key === "j") { move(1); ev.preventDefault(); }
    if (ev.key === "ArrowUp" || ev.key === "k") { move(-1); ev.preventDefault(); }
  });
  root.querySelectorAll(".ra-filters button").forEach(function (b) {
    b.addEventListener("click", function () {
      root.querySelectorAll(".ra-filters button").forEach(function (x) { x.classList.remove("ra-on"); });
      b.classList.add("ra-on");
      filter = b.dataset.filter;
      applyFilters();
    });
  });
  search.addEventListener("input", function () {
    clearTimeout(timer);  // debounce: 1,000 samples x long trajectories need not rescan per keystroke
    timer = setTimeout(function () { query = search.value.trim().toLowerCase(); applyFilters(); }, 120);
  });
  var legend = q(".ra-legend");
  data.outcomes.concat([{code: "-"}]).forEach(function (o) {
    legend.appendChild(el("span", "ra-b " + CLASS[o.code], GLYPH[o.code]));
    legend.appendChild(document.createTextNode(NAMES[o.code] + " "));
  });
  legend.appendChild(el("span", "ra-b ra-x ra-claim", GLYPH.x || "\u2717"));
  legend.appendChild(document.createTextNode("feedback disagreed"));
  var picker = q(".ra-run");
  data.runs.forEach(function (r, i) { var o = el("option", null, r.label); o.value = i; o.title = r.label; picker.appendChild(o); });
  picker.title = data.runs.length ? data.runs[0].label : "";
  picker.hidden = data.runs.length < 2;
  picker.addEventListener("change", function () {
    selectRun(Number(picker.value));
    picker.title = data.runs[Number(picker.value)].label;
  });
  if (data.runs.length) selectRun(0);
  else detail.textContent = "No runs to show.";
})();
