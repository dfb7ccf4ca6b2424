/* "Oceń Urząd": the survey button an office puts on its website (tenants/outreach/widget.py).
   Pinned by its SRI hash in every snippet: never edit this file; a new version is a new file.
   No cookies, no storage, no request but to the survey's host (where this file came from);
   styles through the CSSOM, which a strict style-src on the office's page still allows. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var d = document;
  var data = script.dataset;
  var hex = /^#[0-9a-fA-F]{6}$/;
  var colour = hex.test(data.kolor || "") ? data.kolor : "#1d4e89";
  var ink = hex.test(data.kolorTekstu || "") ? data.kolorTekstu : "#ffffff";
  var survey = new URL("/?kanal=widget", script.src).href;
  var inDialog = data.otwieraj === "okno" && typeof HTMLDialogElement === "function";
  var floating = data.polozenie !== "w-tresci";
  var title = "Ankieta satysfakcji klienta";

  function styled(element, styles) {
    for (var name in styles) element.style[name] = styles[name];
    return element;
  }

  function element(tag, text, styles) {
    var made = styled(d.createElement(tag), styles);
    if (text) made.textContent = text;
    made.lang = "pl";
    return made;
  }

  var look = {
    display: "inline-block", boxSizing: "border-box", minHeight: "44px", margin: "0",
    padding: "10px 20px", border: "2px solid " + ink, borderRadius: "8px",
    background: colour, color: ink, font: "bold 17px/1.3 system-ui, sans-serif",
    textDecoration: "none", cursor: "pointer"
  };
  if (floating) {
    look.position = "fixed";
    look.right = "16px";
    look.bottom = "16px";
    look.zIndex = "2147483000";
    look.boxShadow = "0 2px 8px rgba(0, 0, 0, .35)";
  }

  var button;
  if (inDialog) {
    button = element("button", "Oceń Urząd", look);
    button.type = "button";
    button.setAttribute("aria-haspopup", "dialog");
    var dialog = element("dialog", "", {
      width: "min(44rem, calc(100vw - 16px))", height: "calc(100vh - 32px)", maxWidth: "none",
      maxHeight: "none", padding: "0", border: "0", borderRadius: "8px", background: "#fff"
    });
    dialog.setAttribute("aria-label", title);
    var close = element("button", "Zamknij ankietę", {
      display: "block", margin: "0 0 0 auto", minHeight: "44px", padding: "8px 16px",
      border: "0", background: colour, color: ink, font: "bold 16px/1.3 system-ui, sans-serif",
      cursor: "pointer"
    });
    close.type = "button";
    close.addEventListener("click", function () { dialog.close(); });
    var frame = element("iframe", "", {
      display: "block", width: "100%", height: "calc(100% - 44px)", border: "0"
    });
    frame.title = title;
    dialog.appendChild(close);
    dialog.appendChild(frame);
    button.addEventListener("click", function () {
      if (!frame.src) frame.src = survey; // nothing is fetched until the resident asks
      dialog.showModal();
    });
  } else {
    button = element("a", "Oceń Urząd", look);
    button.href = survey;
    button.target = "_blank";
    button.rel = "noopener";
    button.appendChild(element("span", " (ankieta otworzy się w nowej karcie)", {
      position: "absolute", width: "1px", height: "1px", overflow: "hidden",
      clip: "rect(0 0 0 0)", whiteSpace: "nowrap"
    }));
  }

  function place() {
    var inline = !floating && script.parentNode && script.parentNode !== d.head;
    if (inline) script.parentNode.insertBefore(button, script.nextSibling);
    else d.body.appendChild(button);
    if (dialog) d.body.appendChild(dialog);
  }

  if (d.body) place();
  else d.addEventListener("DOMContentLoaded", place);
})();
