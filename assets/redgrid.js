/* Browser-side helpers (served from assets/, no inline scripts): the wall clock,
   big-screen scaling of the fixed 1920×1080 canvas, and the view carousel. */
(function () {
  // The wall's rotation comes from the view registry (callbacks/views.py) on #frame.
  function wallViews() {
    var frame = document.getElementById("frame");
    var list = frame && frame.getAttribute("data-carousel");
    return list ? list.split(",") : ["/"];
  }
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
    // AG Grid's own dark colour scheme (Theming API, in the dash-ag-grid bundle: no CSS file,
    // nothing fetched) for every grid on the wall; the desk keeps the light one.
    if (big) document.body.setAttribute("data-ag-theme-mode", "dark-blue");
    else document.body.removeAttribute("data-ag-theme-mode");
    var rotate = parseInt(params.get("rotate") || "0", 10);
    if (carousel) { clearInterval(carousel); carousel = null; }
    if (big && rotate >= 5 && rotate <= 3600) {
      carousel = setInterval(function () {
        if (document.body.classList.contains("takeover")) return;  // an alarm holds the screen
        var views = wallViews();
        var i = views.indexOf(window.location.pathname);
        go(views[(i + 1) % views.length], window.location.search);  // the region stays
      }, rotate * 1000);
    }
    setTimeout(fit, 0);
    return big ? "frame bigscreen-frame" : "frame";
  }

  // --- the alarm: flash, sound (Web Audio), takeover --------------------------------
  // Browsers start audio only after a click on the page (autoplay rule): the navbar's
  // 警报声音 button is that click; the choice is kept in localStorage per screen.
  var audio = null, beeper = null, alarmData = null;
  var SOUND_KEY = "redgrid.sound";
  window.redgrid_state = {beeps: 0};  // read by the browser tests

  function soundWanted() { return window.localStorage.getItem(SOUND_KEY) === "on"; }

  function ensureAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  function tone(freq, start, length) {
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(start);
    osc.stop(start + length + 0.05);
  }

  function beep() {
    if (!audio || audio.state !== "running" || !alarmData || !alarmData.ids || !alarmData.ids.length) return;
    if (window.speechSynthesis && window.speechSynthesis.speaking) return;  // no chime over the voice
    var t = audio.currentTime, red = alarmData.levels.indexOf("red") >= 0;
    tone(red ? 1320 : 880, t, 0.25);
    if (red) tone(990, t + 0.3, 0.25);  // two tones for red, one for orange
    window.redgrid_state.beeps += 1;
    if (red) setTimeout(speakNew, 700);  // the voice follows the chime, never over it
  }

  // --- speech: a wall reads each new red warning aloud, once ------------------------
  // The server sends the text only to walls (?screen=1 or a kiosk) and only for red ones:
  // level, place, rule, never a citizen's words. Spoken ids are kept in localStorage so a
  // reload, or the next poll, does not read the same warning again.
  var SPOKEN_KEY = "redgrid.spoken";

  function spokenIds() {
    try {
      var ids = JSON.parse(window.localStorage.getItem(SPOKEN_KEY) || "[]");
      return Array.isArray(ids) ? ids : [];
    } catch (e) { return []; }
  }

  function zhVoice(synth) {
    // Offline voices only: the intranet PCs that drive walls reach no speech service.
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var v = voices[i];
      if (v.localService && /^zh[-_]CN$/i.test(v.lang || "")) return v;
    }
    return null;
  }

  function speakNew() {
    var synth = window.speechSynthesis, Utterance = window.SpeechSynthesisUtterance;
    if (!synth || !Utterance || !soundWanted() || !alarmData || !Array.isArray(alarmData.speech)) return;
    var done = spokenIds(), fresh = false;
    alarmData.speech.forEach(function (s) {
      if (!s || typeof s.text !== "string" || done.indexOf(s.id) >= 0) return;
      var u = new Utterance(s.text);
      u.lang = "zh-CN";
      var voice = zhVoice(synth);
      if (voice) u.voice = voice;
      synth.speak(u);
      done.push(s.id);
      fresh = true;
    });
    if (fresh) window.localStorage.setItem(SPOKEN_KEY, JSON.stringify(done.slice(-200)));
  }
  // Chrome fills its voice list asynchronously: ask once early so it is ready for the first alarm.
  if (window.speechSynthesis) window.speechSynthesis.getVoices();

  function soundButtonClass() {
    var base = "btn btn-sm me-3 ";
    if (!soundWanted()) return base + "btn-outline-light";
    if (!audio || audio.state !== "running") return base + "btn-warning sound-blocked";  // needs a click
    return base + "btn-light sound-on";
  }

  function refreshSound() {
    var on = soundWanted() && alarmData && alarmData.ids && alarmData.ids.length;
    if (on && !beeper) { beep(); beeper = setInterval(beep, 1500); }
    if (!on && beeper) { clearInterval(beeper); beeper = null; }
    var btn = document.getElementById("alarm-sound");
    if (btn) btn.className = soundButtonClass();
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("#alarm-sound") : null;
    if (btn) {
      if (soundWanted() && audio && audio.state === "running") {
        window.localStorage.setItem(SOUND_KEY, "off");
      } else {
        window.localStorage.setItem(SOUND_KEY, "on");
        ensureAudio();
      }
    } else if (soundWanted()) {
      ensureAudio();  // any click on the page satisfies the autoplay rule
    }
    setTimeout(refreshSound, 50);
  }, true);

  function alarm(data) {
    alarmData = data || null;
    var active = !!(data && data.ids && data.ids.length);
    document.body.classList.toggle("alarm", active);
    document.body.classList.toggle("alarm-red", active && data.levels.indexOf("red") >= 0);
    // Read by the carousel and the tests. The overlay's CSS names #takeover, never `.takeover`
    // alone: that selector would match <body> too and move the whole wall (assets/app.css).
    document.body.classList.toggle("takeover", !!(data && data.takeover));
    refreshSound();
    return soundButtonClass();
  }

  // SLA countdowns on the takeover panel: the server's "now" plus the time since it rendered.
  setInterval(function () {
    var els = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (!el.dataset.seen) el.dataset.seen = String(Date.now());
      var now = Date.parse(el.dataset.now) + (Date.now() - Number(el.dataset.seen));
      var left = Math.round((Date.parse(el.dataset.due) - now) / 1000), late = left < 0;
      left = Math.abs(left);
      var hms = [Math.floor(left / 3600), Math.floor(left / 60) % 60, left % 60]
        .map(function (n) { return (n < 10 ? "0" : "") + n; }).join(":");
      el.textContent = (late ? "已超期 " : "剩余 ") + hms;
      el.classList.toggle("late", late);
    }
  }, 1000);

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    redgrid: {
      clock: function () {
        return new Date().toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
      },
      screen: screenMode,
      alarm: alarm,
      // 智慧地图: open events pulse — the halo layer's paint is set on the map itself (a plotly
      // restyle here would race the live ticks' redraws and re-add the map's sources).
      pulse: function (n) {
        var holder = document.getElementById("map-graph");
        var gd = holder && holder.querySelector(".js-plotly-plot");
        var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
        if (!sub || !sub.map || still) return window.dash_clientside.no_update;
        (gd._fullData || []).forEach(function (t) {
          var id = "plotly-trace-layer-" + t.uid + "-circle";
          if (t.name !== "事件光环" || !sub.map.getLayer(id)) return;
          var on = n % 2 === 1;
          sub.map.setPaintProperty(id, "circle-radius", on ? 20 : 12);
          sub.map.setPaintProperty(id, "circle-opacity", on ? 0.25 : 0.7);
        });
        return window.dash_clientside.no_update;
      },
      // Nav links keep the region (and the screen mode) of the current URL.
      navSearch: function (search) {
        var params = new URLSearchParams(search || "");
        var keep = new URLSearchParams();
        ["region", "screen", "rotate"].forEach(function (k) { if (params.get(k)) keep.set(k, params.get(k)); });
        var q = keep.toString() ? "?" + keep.toString() : "";
        // One href per nav link, whatever links the navbar has: nav-overview is "/", nav-X is "/X".
        return window.dash_clientside.callback_context.outputs_list.map(function (o) {
          return (o.id === "nav-overview" ? "/" : "/" + o.id.slice(4)) + q;
        });
      },
    },
  });
})();
