// Kith's only script, and pages work without it: it shows event times in the viewer's own
// time zone beside the event's, and fills the zone of a new event with the browser's.
(function () {
  "use strict";
  var fmt = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  document.querySelectorAll("time.local-time").forEach(function (el) {
    var start = new Date(el.getAttribute("datetime"));
    var out = el.parentElement.querySelector(".viewer-time");
    if (!out || isNaN(start)) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    out.textContent = "Your time (" + zone + "): " + start.toLocaleString(undefined, fmt);
    out.hidden = false;
  });
  document.querySelectorAll("[data-default-zone]").forEach(function (el) {
    if (el.value === "UTC") {
      try { el.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) {}
    }
  });
})();
