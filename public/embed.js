/*! Patron customer portal embed. Include it from your Patron server:
 *   <script src="https://patron.example/embed.js"></script>
 * then:
 *   Patron.mount(element, { shop: "your-shop", getToken: () => fetch("/patron-token").then(r => r.text()) })
 * getToken returns (or resolves to) a one-time token your back end minted with
 * POST /api/v1/customer_sessions {"customer_id": ..., "embed_origin": location.origin}, or that
 * call's whole answer. The element receives the events patron:ready, patron:resize
 * ({height}), patron:action ({kind, id}) and patron:error ({message}).
 * The frame is as tall as the portal; when a dialog opens in it, the page scrolls just enough
 * to show the dialog.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var ORIGIN = script ? new URL(script.src, location.href).origin : location.origin;

  function tokenOf(answer) {
    if (answer && typeof answer === "object") return answer.token;
    return typeof answer === "string" ? answer.trim() : "";
  }

  function mount(element, options) {
    if (!element || !options || typeof options.getToken !== "function" || !options.shop) {
      throw new TypeError("Patron.mount(element, {shop, getToken}) needs an element, the shop's portal address and a getToken function");
    }
    var frame = document.createElement("iframe");
    frame.title = options.title || "Your purchases";
    frame.setAttribute("allow", "clipboard-write");
    frame.style.cssText = "display:block;width:100%;border:0;height:" + (options.minHeight || 160) + "px";
    var base = ORIGIN + "/embed/" + encodeURIComponent(options.shop);
    var ready = false;

    function emit(type, detail) {
      element.dispatchEvent(new CustomEvent(type, { detail: detail || {}, bubbles: true }));
    }

    function fresh() {
      return Promise.resolve()
        .then(function () { return options.getToken(); })
        .then(function (answer) {
          var token = tokenOf(answer);
          if (!token) throw new Error("getToken gave no token");
          return token;
        });
    }

    function fail(error) {
      emit("patron:error", { message: String((error && error.message) || error) });
    }

    // A dialog opened `top` CSS pixels below the frame's top: the frame's own viewport is the
    // whole portal, so only this page can bring it into view. It moves only when the dialog is
    // not already in view, and then centres it (its top at the view's top when taller).
    function reveal(top, height) {
      var view = window.innerHeight || document.documentElement.clientHeight;
      var at = frame.getBoundingClientRect().top + top;
      if (at >= 0 && at + height <= view) return;
      window.scrollBy(0, at - Math.max(0, (view - height) / 2));
    }

    function onMessage(event) {
      if (event.source !== frame.contentWindow || event.origin !== ORIGIN) return;
      var data = event.data || {};
      switch (data.type) {
        case "patron:ready":
          ready = true;
          emit("patron:ready");
          break;
        case "patron:resize":
          if (typeof data.height === "number" && data.height >= 0) {
            frame.style.height = Math.ceil(data.height) + "px";
            emit("patron:resize", { height: data.height });
          }
          break;
        case "patron:dialog":
          if (Number.isFinite(data.top) && Number.isFinite(data.height) && data.height >= 0) {
            reveal(data.top, data.height);
          }
          break;
        case "patron:action":
          emit("patron:action", { kind: String(data.kind), id: String(data.id) });
          break;
        case "patron:token-expired":
          fresh().then(function (token) {
            frame.contentWindow.postMessage({ type: "patron:token", token: token }, ORIGIN);
          }, fail);
          break;
      }
    }

    window.addEventListener("message", onMessage);
    fresh().then(function (token) {
      frame.src = base + "#token=" + encodeURIComponent(token);
    }, fail);
    element.appendChild(frame);

    return {
      frame: frame,
      get ready() { return ready; },
      unmount: function () {
        window.removeEventListener("message", onMessage);
        frame.remove();
      },
    };
  }

  window.Patron = { mount: mount, origin: ORIGIN };
})();
