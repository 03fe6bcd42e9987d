// An enhancement only: shows the Print button where scripts run (without them, the page says
// how to print with the browser's own command).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-page");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
