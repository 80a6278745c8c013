// The logs page's live tail: the server says "new lines" over server-sent events, and the page
// fetches the lines newer than its newest and puts them on top. Text goes in with textContent,
// so a log line is never read as HTML.
(function () {
  "use strict";
  var table = document.getElementById("log-lines");
  var toggle = document.getElementById("live-tail");
  if (!table || !toggle || !window.EventSource) return;
  var body = table.querySelector("tbody");
  var newest = table.dataset.newest || "";
  var busy = false, again = false, source = null;

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }
  function row(line) {
    var tr = document.createElement("tr");
    tr.className = "log-line level-" + line.level + " fresh";
    tr.appendChild(cell(line.time, "log-time")).title = line.timestamp;
    var level = document.createElement("span");
    level.className = "log-level level-" + line.level;
    level.textContent = line.level;
    tr.appendChild(document.createElement("td")).appendChild(level);
    tr.appendChild(cell(line.logger, "log-logger"));
    var message = tr.appendChild(cell(line.message, "log-message"));
    line.groups.forEach(function (g) {
      var a = document.createElement("a");
      a.className = "chip";
      a.href = g.url;
      a.textContent = "group #" + g.id;
      message.append(" ", a);
    });
    return tr;
  }
  function fetchNewer() {
    if (busy) { again = true; return; }
    busy = true;
    var url = table.dataset.linesUrl + (newest ? "&newer_than=" + encodeURIComponent(newest) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var empty = body.querySelector("td[colspan]");
        if (data.lines.length && empty) empty.parentNode.remove();
        for (var i = data.lines.length - 1; i >= 0; i--) body.prepend(row(data.lines[i]));
        newest = data.newest || newest;
        while (body.rows.length > 1000) body.deleteRow(-1);
      })
      .catch(function () {})
      .finally(function () { busy = false; if (again) { again = false; fetchNewer(); } });
  }
  function start() {
    source = new EventSource(table.dataset.tailUrl);
    source.addEventListener("lines", fetchNewer);
    // Subscribed: fetch what arrived since the page was rendered, then every "lines" after.
    source.addEventListener("ready", function () { table.dataset.tail = "open"; fetchNewer(); });
  }
  function stop() { if (source) source.close(); source = null; table.dataset.tail = "closed"; }
  toggle.addEventListener("change", function () { if (toggle.checked) { start(); fetchNewer(); } else stop(); });
  start();
})();
