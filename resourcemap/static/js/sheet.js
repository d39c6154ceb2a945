/* The 支援会議 sheet's print button (an external file: no inline script under the pages' CSP). */
(function () {
  "use strict";
  var b = document.getElementById("print");
  if (b) b.addEventListener("click", function () { window.print(); });
})();
