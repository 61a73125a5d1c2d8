// A colour palette picker: a list of #RRGGBB swatches, added with a colour input or typed as hex, removed by click.

import { el } from "./api.js";

const HEX = /^#[0-9A-F]{6}$/;
const MAX_COLOURS = 10;

/** Build a palette inside `host` (from the page's <template id="palette-template">); returns {colours(), clear()}. */
export function palette(host, name) {
  host.append(document.getElementById("palette-template").content.cloneNode(true));
  const swatches = host.querySelector(".swatches");
  const pick = host.querySelector("[data-role=pick]");
  const hex = host.querySelector("[data-role=hex]");
  const add = host.querySelector("[data-role=add]");
  pick.setAttribute("aria-label", `${name}: colour to add`);
  hex.setAttribute("aria-label", `${name}: hex colour`);
  add.setAttribute("aria-label", `${name}: add colour`);
  let colours = [];

  function render() {
    swatches.replaceChildren(...colours.map((colour) => el("button", {
      type: "button", class: "swatch", style: `--swatch: ${colour}`, title: `Remove ${colour}`,
      "aria-label": `Remove ${colour}`, dataset: { colour },
      onclick: () => { colours = colours.filter((c) => c !== colour); render(); },
    }, colour)));
  }

  pick.addEventListener("input", () => { hex.value = pick.value.toUpperCase(); });
  add.addEventListener("click", () => {
    const value = hex.value.trim().toUpperCase();
    const colour = value.startsWith("#") ? value : `#${value}`;
    hex.setCustomValidity(HEX.test(colour) ? "" : "Type a colour as #RRGGBB, e.g. #FF8800.");
    if (!hex.reportValidity()) return;
    if (!colours.includes(colour) && colours.length < MAX_COLOURS) colours = [...colours, colour];
    if (HEX.test(colour)) pick.value = colour.toLowerCase();
    render();
  });
  return { colours: () => [...colours], clear: () => { colours = []; render(); } };
}
