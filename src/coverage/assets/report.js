// drupe's coverage report: comfort only; every view works without this script.
// - the exclude box filters the tree as you type;
// - the threshold recolours percentages as you type;
// - the tree keeps its scroll position across reloads.
(function () {
  "use strict";
  const tree = document.querySelector("nav.tree");
  const exclude = document.getElementById("exclude");
  const threshold = document.getElementById("threshold");
  if (!tree) return;

  function filter() {
    const parts = (exclude && exclude.value ? exclude.value.split("|") : []).filter(Boolean);
    tree.querySelectorAll("li[data-path]").forEach(function (li) {
      const path = li.getAttribute("data-path");
      li.classList.toggle("hidden", parts.some(function (p) { return path.indexOf(p) !== -1; }));
    });
  }

  function recolour() {
    const t = parseFloat(threshold && threshold.value);
    if (isNaN(t)) return;
    document.querySelectorAll(".pct[data-pct]").forEach(function (el) {
      const low = parseFloat(el.getAttribute("data-pct")) + 1e-9 < t;
      el.classList.toggle("low", low);
      el.classList.toggle("ok", !low);
    });
  }

  if (exclude) exclude.addEventListener("input", filter);
  if (threshold) threshold.addEventListener("input", recolour);

  const key = "drupe-coverage-scroll";
  try {
    const y = sessionStorage.getItem(key);
    if (y !== null) tree.scrollTop = parseInt(y, 10);
    window.addEventListener("beforeunload", function () {
      sessionStorage.setItem(key, String(tree.scrollTop));
    });
  } catch (e) {
    // Storage may be off; scrolling back is only a comfort.
  }
})();
