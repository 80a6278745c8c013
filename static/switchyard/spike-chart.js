// The dashboard's charts (the group's spike chart, a release's charts): fetches Plotly figure JSON
// from the element's data-spike-chart URL and draws it with the plotly.js served from our static
// files. data-range picks the first range, data-empty-text what an empty range says. Refreshes
// every minute (the group's endpoint caches per minute).
// plotly.js (1.1 MB to parse) is run by this script, from the URL in its data-plotly, in parallel
// with the figure's JSON: as a deferred <script> it held up DOMContentLoaded, so the page's
// buttons and htmx waited ~0.3–0.5 s for a chart lower down. The pages preload the same URL
// (<link rel=preload>), so the download starts with the page's other files.
(function () {
  "use strict";
  var REFRESH_MS = 60000;
  var PLOTLY_SRC = document.currentScript && document.currentScript.dataset.plotly;
  var plotlyLoading = null;

  function plotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyLoading) {
      plotlyLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY_SRC;
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = function () { plotlyLoading = null; script.remove(); reject(new Error("plotly.js did not load")); };
        document.head.append(script);
      });
    }
    return plotlyLoading;
  }

  function setup(box) {
    var plot = box.querySelector(".chart-plot");
    var status = box.querySelector(".chart-status");
    var range = box.dataset.range || "1h";
    var card = box.closest(".chart-card") || document;

    function show(text, isError) {
      status.hidden = !text;
      status.classList.toggle("error", !!isError);
      status.textContent = "";
      if (!text) return;
      status.append(text + " ");
      if (isError) {
        var retry = document.createElement("button");
        retry.type = "button";
        retry.className = "link-button";
        retry.textContent = "Retry";
        retry.addEventListener("click", function () { load(true); });
        status.append(retry);
      }
    }

    function load(announce) {
      if (announce) show("Loading the chart…");
      box.classList.add("loading");
      var url = box.dataset.spikeChart;
      var ready = plotly();  // in parallel with the figure
      ready.catch(function () {});  // reported below, once the figure is in
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "range=" + encodeURIComponent(range), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (figure) { return ready.then(function () { return figure; }); })
        .then(function (figure) {
          window.Plotly.react(plot, figure.data, figure.layout, {displayModeBar: false, responsive: true});
          var total = (figure.data[0].y || []).reduce(function (a, b) { return a + b; }, 0);
          show(total ? "" : (box.dataset.emptyText || "No events in this range."));
          box.dataset.loaded = range;
        })
        .catch(function (err) { show("Could not load the chart (" + err.message + ").", true); })
        .finally(function () { box.classList.remove("loading"); });
    }

    card.querySelectorAll("[data-range]").forEach(function (button) {
      button.addEventListener("click", function () {
        range = button.dataset.range;
        card.querySelectorAll("[data-range]").forEach(function (b) { b.classList.toggle("active", b === button); });
        load(true);
      });
    });
    load(true);
    setInterval(function () { if (document.visibilityState === "visible") load(false); }, REFRESH_MS);
  }

  function start() { document.querySelectorAll("[data-spike-chart]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
