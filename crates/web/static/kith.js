// Kith's only script, and pages work without it: it shows event times in the viewer's own
// time zone beside the event's (the event's own zone stays shown), post times in the viewer's
// zone, and fills the zone of a new event with the browser's.
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  var fmt = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  document.querySelectorAll("time.local-time").forEach(function (el) {
    var start = new Date(el.getAttribute("datetime"));
    var out = el.parentElement.querySelector(".viewer-time");
    if (!out || isNaN(start)) return;
    // In lists, only when the viewer's zone is another than the event's.
    var own = el.getAttribute("data-zone");
    if (own && out.closest("li") && own === zone) return;
    out.textContent = "Your time (" + (zone || "local") + "): " + start.toLocaleString(undefined, fmt);
    out.hidden = false;
  });
  document.querySelectorAll("time.viewer-local").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (isNaN(at)) return;
    el.title = el.textContent;
    el.textContent = at.toLocaleString(undefined,
      { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  });
  document.querySelectorAll("[data-default-zone]").forEach(function (el) {
    if (el.value === "UTC" && zone) el.value = zone;
  });
})();
