// Starts Swagger UI on the API docs page (kept out of the HTML for the CSP).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
  });
})();
