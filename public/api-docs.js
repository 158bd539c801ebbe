// The API reference at /api/docs: Redoc (served beside the wasm as /pkg/redoc.standalone.js)
// renders the live OpenAPI document in Patron's colours. An external script, so the page's
// Content-Security-Policy allows no inline script; the colours keep every text at WCAG AA
// contrast (Redoc's defaults put light red and grey on white).
(function () {
  var root = document.getElementById('reference');
  Redoc.init(root.dataset.spec, {
    pathInMiddlePanel: true,
    requiredPropsFirst: true,
    hideHostname: true,
    expandResponses: '200,201',
    theme: {
      colors: {
        primary: { main: '#4f46e5' },
        text: { primary: '#1f2937', secondary: '#4b5563' },
        responses: {
          success: { tabTextColor: '#86efac' },
          error: { tabTextColor: '#fca5a5' },
          redirect: { tabTextColor: '#fde68a' },
          info: { tabTextColor: '#bae6fd' },
        },
      },
      typography: {
        fontFamily: 'ui-sans-serif, system-ui, sans-serif',
        headings: { fontFamily: 'ui-sans-serif, system-ui, sans-serif' },
        code: { color: '#9f1239', backgroundColor: '#f3f4f6', wrap: true },
      },
      sidebar: { textColor: '#1f2937' },
    },
  }, root);

  // Redoc's side menu opens a group as a plain <ul> of role="menuitem" entries, which assistive
  // technologies cannot place (a menu item belongs in a menu). Name each such list a menu as
  // it appears.
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      root.querySelectorAll('ul:not([role])').forEach(function (list) {
        if (list.querySelector(':scope > li[role="menuitem"]')) list.setAttribute('role', 'menu');
      });
    });
  }).observe(root, { childList: true, subtree: true });
})();
