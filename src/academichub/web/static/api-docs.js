// Starts Swagger UI on /api/docs (a file, not an inline script: the pages' CSP allows only 'self').
// The schema says OpenAPI 3.2 (Server-Sent Events need its itemSchema), which Swagger UI 5 does not
// read yet; shown as 3.1 it renders everything, the stream's item schema aside.
window.addEventListener("DOMContentLoaded", async () => {
  const spec = await (await fetch("/api/v1/openapi.json")).json();
  if (String(spec.openapi).startsWith("3.2")) spec.openapi = "3.1.0";
  window.ui = SwaggerUIBundle({ spec, dom_id: "#swagger-ui", deepLinking: true });
});
