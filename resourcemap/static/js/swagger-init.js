/* Starts the vendored Swagger UI on /docs (an external file: the pages' CSP allows no inline script). */
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: el.getAttribute("data-url"), dom_id: "#swagger-ui", deepLinking: false,
    presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
})();
