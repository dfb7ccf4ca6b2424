// Small progressive enhancements; every page works without them.
// - [data-reset-after]: a kiosk's thank-you page opens a fresh form after N seconds, with a
//   button to stop the countdown (WCAG 2.2.1: a time limit the user can turn off). Without
//   JavaScript a <noscript> meta refresh does the same.
// - [data-poll]: the report list (and a background export's page) re-reads itself every few
//   seconds while a report (an export) is being made and replaces only that region, so the
//   status changes without a reload and without moving the reader's focus; when it is done,
//   [data-poll-news] is announced.
(function () {
  "use strict";

  function startReset(element) {
    var seconds = parseInt(element.getAttribute("data-reset-after"), 10);
    var target = element.getAttribute("data-reset-url");
    if (!(seconds > 0) || !target) return;
    var timer = window.setTimeout(function () { window.location.assign(target); }, seconds * 1000);
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "button secondary";
    stop.textContent = element.getAttribute("data-stop-label") || "Zatrzymaj odliczanie";
    stop.addEventListener("click", function () {
      window.clearTimeout(timer);
      element.textContent = element.getAttribute("data-stopped") || "Odliczanie zatrzymane.";
      stop.remove();
    });
    element.insertAdjacentElement("afterend", stop);
  }

  function startPolling(region) {
    var every = parseInt(region.getAttribute("data-poll"), 10) * 1000 || 3000;
    var rounds = 0;
    function poll() {
      rounds += 1;
      if (rounds > 200) return; // about ten minutes: the sweeper's business after that
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { window.setTimeout(poll, every); return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) return;
          region.innerHTML = fresh.innerHTML;
          if (fresh.hasAttribute("data-poll")) {
            window.setTimeout(poll, every);
          } else {
            region.removeAttribute("data-poll");
            var news = document.getElementById(region.id + "-news");
            if (news) news.textContent = region.getAttribute("data-poll-news") || "Lista raportów została zaktualizowana.";
          }
        })
        .catch(function () { window.setTimeout(poll, every); });
    }
    window.setTimeout(poll, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-reset-after]").forEach(startReset);
    document.querySelectorAll("[data-poll]").forEach(startPolling);
  });
})();
