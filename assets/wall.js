/* The wall's long lists scroll slowly by themselves (轮播表): every row is shown over time,
   none overflows its panel. A list that fits stays still; at the end it pauses, then starts
   again from the top. Only in big-screen mode; nothing is fetched. */
(function () {
  var STEP_MS = 50, PAUSE_MS = 3000;
  var paused = new WeakMap();

  function target(box) {
    return box.querySelector(".ag-body-viewport") || box;
  }

  function step() {
    if (!document.body.classList.contains("bigscreen")) return;
    var now = Date.now();
    document.querySelectorAll(".autoscroll").forEach(function (box) {
      var el = target(box);
      if (el.scrollHeight <= el.clientHeight + 2) return;  // it fits: nothing to show over time
      var until = paused.get(el) || 0;
      if (now < until) return;
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) {
        if (until) { el.scrollTop = 0; paused.set(el, now + PAUSE_MS); }  // back to the top, then a pause
        else paused.set(el, now + PAUSE_MS);
        return;
      }
      if (until) paused.delete(el);
      el.scrollTop += 1;
    });
  }
  setInterval(step, STEP_MS);
})();
