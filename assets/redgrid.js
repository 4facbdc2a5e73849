/* Browser-side helpers (served from assets/, no inline scripts): the wall clock,
   big-screen scaling of the fixed 1920×1080 canvas, and the view carousel. */
(function () {
  var VIEWS = ["/", "/incidents", "/patrols", "/opinion"];
  var carousel = null;

  function fit() {
    var frame = document.getElementById("frame");
    if (!frame) return;
    if (!document.body.classList.contains("bigscreen")) {
      frame.style.transform = "";
      frame.style.left = frame.style.top = "";
      return;
    }
    var s = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    frame.style.transform = "scale(" + s + ")";
    frame.style.left = (window.innerWidth - 1920 * s) / 2 + "px";
    frame.style.top = (window.innerHeight - 1080 * s) / 2 + "px";
  }
  window.addEventListener("resize", fit);

  function go(path, search) {
    window.history.pushState({}, "", path + search);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  }

  function screenMode(search) {
    var params = new URLSearchParams(search || "");
    var big = params.get("screen") === "1";
    document.body.classList.toggle("bigscreen", big);
    var rotate = parseInt(params.get("rotate") || "0", 10);
    if (carousel) { clearInterval(carousel); carousel = null; }
    if (big && rotate >= 5 && rotate <= 3600) {
      carousel = setInterval(function () {
        if (document.body.classList.contains("takeover")) return;  // an alarm holds the screen
        var i = VIEWS.indexOf(window.location.pathname);
        go(VIEWS[(i + 1) % VIEWS.length], window.location.search);  // the region stays
      }, rotate * 1000);
    }
    setTimeout(fit, 0);
    return big ? "frame bigscreen-frame" : "frame";
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    redgrid: {
      clock: function () {
        return new Date().toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
      },
      screen: screenMode,
      // Nav links keep the region (and the screen mode) of the current URL.
      navSearch: function (search) {
        var params = new URLSearchParams(search || "");
        var keep = new URLSearchParams();
        ["region", "screen", "rotate"].forEach(function (k) { if (params.get(k)) keep.set(k, params.get(k)); });
        var q = keep.toString() ? "?" + keep.toString() : "";
        return VIEWS.map(function (p) { return p + q; });
      },
    },
  });
})();
