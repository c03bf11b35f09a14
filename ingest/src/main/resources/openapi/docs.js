// Swagger UI over this server's own /openapi.json. "Try it out" sends the bearer token typed into
// Authorize to this origin only; nothing is stored by the page.
window.addEventListener('load', () => {
  const root = document.getElementById('api-docs');
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null,
  });
});
